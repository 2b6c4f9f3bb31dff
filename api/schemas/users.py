"""Bodies for people: onboarding, sessions, users and their customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from warehouse.passwords import MAX_LENGTH, MIN_LENGTH

RoleName = Literal["admin", "manager", "user"]
Email = Annotated[
    str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]
Password = Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class OnboardingStatus(BaseModel):
    onboarded: bool = Field(description="Whether a customer exists yet.")
    open_signup: bool = Field(description="Whether anyone may create a customer.")


class OnboardingCreate(Strict):
    customer_name: Name
    name: Name
    email: Email
    password: Password


class LoginRequest(Strict):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class InviteAccept(Strict):
    code: str = Field(min_length=1, max_length=200)
    password: Password


class SessionPublic(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'.")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user_id: uuid.UUID


class CustomerPublic(BaseModel):
    id: uuid.UUID
    name: str
    billing_status: str
    created_at: datetime


class OnboardingPublic(BaseModel):
    customer: CustomerPublic
    session: SessionPublic


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: RoleName
    team_id: uuid.UUID | None = Field(description="The user's own team.")
    team_ids: list[uuid.UUID] = Field(description="Every team the user is in.")
    active: bool
    created_at: datetime
    deactivated_at: datetime | None


class CallerPublic(BaseModel):
    user: UserPublic
    customer_id: uuid.UUID
    via: Literal["session", "token"]
    scopes: list[str]
    token_id: uuid.UUID | None


class UserCreate(Strict):
    email: Email
    name: Name
    role: RoleName = "user"
    team_id: uuid.UUID | None = None
    password: str | None = Field(
        default=None,
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description="Omit to get a one-time invite code instead.",
    )


class UserCreated(BaseModel):
    user: UserPublic
    invite_code: str | None = Field(
        description="Shown once; the user exchanges it for a password."
    )
    invite_expires_at: datetime | None


class UserPage(BaseModel):
    items: list[UserPublic]
    next_offset: int | None = Field(description="Pass as `offset` for the next page.")


class RoleUpdate(Strict):
    role: RoleName


class TeamAssignment(Strict):
    team_id: uuid.UUID
