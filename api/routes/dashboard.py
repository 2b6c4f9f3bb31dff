"""GET /v1/dashboard: the last 30 days at a glance, from the marts."""

from __future__ import annotations

import uuid
from datetime import date

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

router = APIRouter(prefix="/v1/dashboard", tags=["usage"], responses=COMMON)


class DayUsage(Measures):
    day: date


class DashboardPublic(BaseModel):
    """30-day totals, the most active user and the daily series."""

    as_of: AsOfPublic
    totals_30d: Measures
    most_active_user_id_30d: uuid.UUID | None
    active_users_30d: int
    series: list[DayUsage]


@router.get("")
async def get_dashboard(
    caller: CurrentCaller, conn: Db, state: State
) -> DashboardPublic:
    """Usage of the last 30 days: your organisation (admins), your teams
    (managers) or yourself (users)."""
    scope = await scope_of(conn, caller)
    found = await from_marts(marts_reads.dashboard, state.settings.marts_file, scope)
    return DashboardPublic(
        as_of=as_of_public(found["as_of"]),
        totals_30d=measures(found["totals_30d"], "_30d"),
        most_active_user_id_30d=found["most_active_user_id_30d"],
        active_users_30d=found["active_users_30d"],
        series=[DayUsage(**row) for row in found["series"]],
    )
