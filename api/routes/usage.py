"""GET /v1/usage: the daily usage series, as JSON or CSV, from the marts."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from api.deps import CurrentCaller, Db, State
from api.errors import Forbidden, InvalidRequest
from api.readmodel import AsOfPublic, Measures, as_of_public, from_marts, scope_of
from api.schemas.errors import COMMON
from warehouse import access, marts_reads, teams, users

router = APIRouter(prefix="/v1/usage", tags=["usage"], responses=COMMON)
CSV = "text/csv"


class DayUsage(Measures):
    day: date


class UsagePublic(BaseModel):
    as_of: AsOfPublic
    items: list[DayUsage]


@router.get(
    "",
    response_model=UsagePublic,
    responses={200: {"content": {CSV: {}}, "description": "JSON, or CSV on request"}},
)
async def get_usage(
    request: Request,
    caller: CurrentCaller,
    conn: Db,
    state: State,
    team: uuid.UUID | None = None,
    user: uuid.UUID | None = None,
    model: str | None = None,
    vendor: str | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> UsagePublic | Response:
    """Counted usage per day, filtered by team, user, model, vendor and days
    (`from`, `to`, inclusive, as YYYY-MM-DD); CSV with `Accept: text/csv`."""
    if start and end and start > end:
        raise InvalidRequest(f"from {start} is after to {end}")
    await _check_filters(conn, caller, team, user)
    scope = await scope_of(conn, caller)
    filters = marts_reads.UsageFilter(team, user, model, vendor, start, end)
    found = await from_marts(
        marts_reads.usage, state.settings.marts_file, scope, filters
    )
    if CSV in request.headers.get("accept", ""):
        return _csv(found)
    return UsagePublic(
        as_of=as_of_public(found.as_of), items=[DayUsage(**r) for r in found.rows]
    )


async def _check_filters(
    conn: Db, caller: CurrentCaller, team: uuid.UUID | None, user: uuid.UUID | None
) -> None:
    # Another customer's ids are unknown (404); ours outside the scope, 403.
    if team is not None:
        await teams.get(conn, customer_id=caller.customer_id, team_id=team)
        if not caller.is_admin and team not in await access.managed_team_ids(
            conn, caller
        ):
            raise Forbidden("you may filter only by teams you manage")
    if user is not None:
        await users.get(conn, customer_id=caller.customer_id, user_id=user)
        if not await access.can_see_user(conn, caller, user):
            raise Forbidden("you may see only yourself and your teams' members")


def _csv(found: marts_reads.Found) -> Response:
    buffer = io.StringIO()
    names = ["day", *Measures.model_fields]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([row[name] for name in names] for row in found.rows)
    headers = {
        "X-Stereos-As-Of-Seq": str(found.as_of.seq),
        "X-Stereos-As-Of-Time": found.as_of.received_at.isoformat()
        if found.as_of.received_at
        else "",
    }
    return Response(buffer.getvalue(), media_type=CSV, headers=headers)
