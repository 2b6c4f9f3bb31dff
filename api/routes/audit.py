"""The audit log of identity and credential changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import require_admin
from api.deps import CurrentCaller, Db
from api.schemas.audit import AuditEntryPublic, AuditPage
from api.schemas.errors import COMMON
from warehouse import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=COMMON)

Limit = Annotated[int, Query(ge=1, le=200, description="Entries per page.")]
Offset = Annotated[int, Query(ge=0, description="Entries to skip.")]


@router.get("")
async def audit_log(
    caller: CurrentCaller, conn: Db, limit: Limit = 50, offset: Offset = 0
) -> AuditPage:
    """Changes to users, teams, tokens and credentials, newest first (admins)."""
    require_admin(caller, "read the audit log")
    rows = await audit.entries(
        conn, customer_id=caller.customer_id, limit=limit + 1, offset=offset
    )
    items = [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    more = len(items) > limit
    return AuditPage(items=items[:limit], next_offset=offset + limit if more else None)
