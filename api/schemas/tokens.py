"""Bodies for API tokens and Broadcast credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.users import Name, Strict

Scope = Literal["ingest", "read", "admin"]


class TokenCreate(Strict):
    customer_id: uuid.UUID
    team_id: uuid.UUID = Field(description="Spans sent with the token go to this team.")
    name: Name
    scopes: list[Scope] | None = Field(
        default=None,
        min_length=1,
        description="Defaults to everything the maker's role allows.",
    )
    expires_at: AwareDatetime | None = None


class TokenPublic(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters, to recognise it.")
    team_id: uuid.UUID
    user_id: uuid.UUID | None = Field(description="The user the token acts for.")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret; shown only this once.")


class TokenList(BaseModel):
    items: list[TokenPublic]


class BroadcastPublic(BaseModel):
    id: uuid.UUID
    prefix: str
    created_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None


class BroadcastCreated(BroadcastPublic):
    secret: str = Field(description="The credential; shown only this once.")


class BroadcastList(BaseModel):
    items: list[BroadcastPublic]
