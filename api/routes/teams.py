"""Teams of the caller's customer and their members."""

from __future__ import annotations

import uuid

import psycopg
from fastapi import APIRouter, Response

from api.access import require_admin
from api.deps import CurrentCaller, Db, Writer
from api.errors import Forbidden
from api.routes.users import public
from api.schemas.errors import COMMON, CONFLICTS
from api.schemas.teams import (
    MemberAdd,
    MemberList,
    TeamCreate,
    TeamList,
    TeamPublic,
    TeamUpdate,
)
from api.schemas.users import UserPublic
from warehouse import access, teams, users
from warehouse.access import Caller

router = APIRouter(prefix="/v1/teams", tags=["teams"], responses=COMMON)


def team_public(team: teams.Team) -> TeamPublic:
    return TeamPublic.model_validate(team, from_attributes=True)


async def _visible(
    conn: psycopg.AsyncConnection, caller: Caller, team_id: uuid.UUID
) -> teams.Team:
    team = await teams.get(conn, customer_id=caller.customer_id, team_id=team_id)
    if not caller.is_admin and team_id not in await access.member_team_ids(
        conn, caller
    ):
        raise Forbidden("you may see only the teams you are a member of")
    return team


async def _managed(
    conn: psycopg.AsyncConnection, caller: Caller, team_id: uuid.UUID
) -> teams.Team:
    team = await teams.get(conn, customer_id=caller.customer_id, team_id=team_id)
    if not await access.can_manage_team(conn, caller, team_id):
        raise Forbidden("only an admin or a manager of this team may change it")
    return team


@router.get("")
async def list_teams(
    caller: CurrentCaller, conn: Db, include_archived: bool = False
) -> TeamList:
    """Teams you can see: all of them for admins, your own for everyone else."""
    only = None if caller.is_admin else await access.member_team_ids(conn, caller)
    rows = await teams.listed(
        conn, customer_id=caller.customer_id, only=only,
        archived=include_archived and caller.is_admin,
    )  # fmt: skip
    return TeamList(items=[team_public(t) for t in rows])


@router.post("", status_code=201, responses=CONFLICTS)
async def create_team(body: TeamCreate, caller: Writer, conn: Db) -> TeamPublic:
    """Create a team led by `manager_user_id`, a manager or admin (admins)."""
    require_admin(caller, "create teams")
    team = await teams.create(
        conn, caller, name=body.name, manager_user_id=body.manager_user_id
    )
    return team_public(team)


@router.get("/{team_id}")
async def get_team(team_id: uuid.UUID, caller: CurrentCaller, conn: Db) -> TeamPublic:
    """One team (admins, and the team's members)."""
    return team_public(await _visible(conn, caller, team_id))


@router.patch("/{team_id}", responses=CONFLICTS)
async def update_team(
    team_id: uuid.UUID, body: TeamUpdate, caller: Writer, conn: Db
) -> TeamPublic:
    """Rename a team or set its `profile_pic` (admins, the team's managers)."""
    await _managed(conn, caller, team_id)
    team = await teams.update(
        conn, caller, team_id=team_id, name=body.name,
        profile_pic=body.profile_pic, set_pic="profile_pic" in body.model_fields_set,
    )  # fmt: skip
    return team_public(team)


@router.post("/{team_id}/archive")
async def archive_team(team_id: uuid.UUID, caller: Writer, conn: Db) -> TeamPublic:
    """Archive a team: it leaves listings; its data stays (admins)."""
    require_admin(caller, "archive teams")
    return team_public(await teams.archive(conn, caller, team_id=team_id))


@router.get("/{team_id}/members")
async def list_members(
    team_id: uuid.UUID, caller: CurrentCaller, conn: Db
) -> MemberList:
    """Members of a team (admins, and the team's members)."""
    await _visible(conn, caller, team_id)
    rows = await users.team_members(
        conn, customer_id=caller.customer_id, team_id=team_id
    )
    return MemberList(items=[public(u) for u in rows])


@router.post("/{team_id}/members", status_code=201)
async def add_member(
    team_id: uuid.UUID, body: MemberAdd, caller: Writer, conn: Db
) -> UserPublic:
    """Add a user of your organisation to a team (admins, the team's managers)."""
    await _managed(conn, caller, team_id)
    await teams.add_member(conn, caller, team_id=team_id, user_id=body.user_id)
    user = await users.get(conn, customer_id=caller.customer_id, user_id=body.user_id)
    return public(user)


@router.delete("/{team_id}/members/{user_id}", status_code=204, responses=CONFLICTS)
async def remove_member(
    team_id: uuid.UUID, user_id: uuid.UUID, caller: Writer, conn: Db
) -> Response:
    """Remove a member; a team keeps at least one manager or admin."""
    await _managed(conn, caller, team_id)
    await teams.remove_member(conn, caller, team_id=team_id, user_id=user_id)
    return Response(status_code=204)
