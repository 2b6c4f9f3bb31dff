"""GET /v1/users/{id}/profile and /v1/teams/{id}/profile, from the marts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentCaller, Db, State
from api.errors import Forbidden
from api.readmodel import AsOfPublic, Measures, as_of_public, from_marts, measures
from api.schemas.errors import COMMON
from warehouse import access, marts_reads, teams, users

router = APIRouter(prefix="/v1", tags=["usage"], responses=COMMON)
ZERO = {name: 0 for name in Measures.model_fields}


class ProfilePublic(BaseModel):
    """A user's or team's usage: last 30 days, all time, favourites."""

    as_of: AsOfPublic
    id: uuid.UUID
    last_30_days: Measures
    all_time: Measures
    top_models: list[str]
    top_tools: list[str]
    first_seen_at: datetime | None
    last_seen_at: datetime | None


class TeamProfilePublic(ProfilePublic):
    most_active_user_id_30d: uuid.UUID | None
    active_users_30d: int


def _profile(found: marts_reads.Found, key: uuid.UUID) -> dict[str, Any]:
    row = found.rows[0] if found.rows else {}
    return {
        "as_of": as_of_public(found.as_of),
        "id": key,
        "last_30_days": measures(row, "_30d") if row else Measures(**ZERO),
        "all_time": measures(row) if row else Measures(**ZERO),
        "top_models": row.get("top_models") or [],
        "top_tools": row.get("top_tools") or [],
        "first_seen_at": row.get("first_seen_at"),
        "last_seen_at": row.get("last_seen_at"),
        "most_active_user_id_30d": row.get("most_active_user_id_30d"),
        "active_users_30d": row.get("active_users_30d") or 0,
    }


@router.get("/users/{user_id}/profile")
async def user_profile(
    user_id: uuid.UUID, caller: CurrentCaller, conn: Db, state: State
) -> ProfilePublic:
    """A user's usage profile: admins see anyone, managers their teams' members,
    users themself."""
    await users.get(conn, customer_id=caller.customer_id, user_id=user_id)
    if not await access.can_see_user(conn, caller, user_id):
        raise Forbidden("you may see only yourself and the members of teams you manage")
    found = await from_marts(
        marts_reads.profile, state.settings.marts_file, "user",
        customer_id=caller.customer_id, key=user_id,
    )  # fmt: skip
    return ProfilePublic(**_profile(found, user_id))


@router.get("/teams/{team_id}/profile")
async def team_profile(
    team_id: uuid.UUID, caller: CurrentCaller, conn: Db, state: State
) -> TeamProfilePublic:
    """A team's usage profile: admins, and managers of the team."""
    await teams.get(conn, customer_id=caller.customer_id, team_id=team_id)
    if team_id not in await access.managed_team_ids(conn, caller):
        raise Forbidden("only admins and the team's managers see a team's profile")
    found = await from_marts(
        marts_reads.profile, state.settings.marts_file, "team",
        customer_id=caller.customer_id, key=team_id,
    )  # fmt: skip
    return TeamProfilePublic(**_profile(found, team_id))
