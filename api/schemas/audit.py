"""Bodies for the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None = Field(description="Set when a token acted.")
    action: str = Field(description="For example `user.role_changed`.")
    target_type: str
    target_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_offset: int | None
