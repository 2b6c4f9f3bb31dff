"""GET /v1/tools: usage per tool, vendor and model (ToolProfile), from the marts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentCaller, Db, State
from api.readmodel import (
    AsOfPublic,
    Measures,
    as_of_public,
    from_marts,
    measures,
    scope_of,
)
from api.schemas.errors import COMMON
from warehouse import marts_reads

router = APIRouter(prefix="/v1/tools", tags=["usage"], responses=COMMON)


class ToolProfile(BaseModel):
    """One tool (the sending app or agent), vendor and model."""

    tool: str
    vendor: str | None
    model: str | None
    last_30_days: Measures
    all_time: Measures
    first_seen_at: datetime | None
    last_seen_at: datetime | None


class ToolsPublic(BaseModel):
    as_of: AsOfPublic
    items: list[ToolProfile]


@router.get("")
async def list_tools(caller: CurrentCaller, conn: Db, state: State) -> ToolsPublic:
    """Usage per tool, vendor and model, busiest first, within what you may see."""
    scope = await scope_of(conn, caller)
    found = await from_marts(marts_reads.tools, state.settings.marts_file, scope)
    items = [
        ToolProfile(
            tool=row["tool"],
            vendor=row["vendor"],
            model=row["model"],
            last_30_days=measures(row, "_30d"),
            all_time=measures(row),
            first_seen_at=row["first_seen_at"],
            last_seen_at=row["last_seen_at"],
        )
        for row in found.rows
    ]
    return ToolsPublic(as_of=as_of_public(found.as_of), items=items)
