"""Bodies for teams and their members."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.users import Name, Strict, UserPublic


class TeamPublic(BaseModel):
    id: uuid.UUID
    name: str
    profile_pic: str | None
    archived_at: datetime | None
    created_at: datetime
    member_count: int


class TeamCreate(Strict):
    name: Name
    manager_user_id: uuid.UUID = Field(
        description="A manager or admin of the customer, the team's first member."
    )


class TeamUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    profile_pic: str | None = Field(
        default=None, max_length=2048, description="An image URL; null removes it."
    )


class TeamList(BaseModel):
    items: list[TeamPublic]


class MemberList(BaseModel):
    items: list[UserPublic]


class MemberAdd(Strict):
    user_id: uuid.UUID
