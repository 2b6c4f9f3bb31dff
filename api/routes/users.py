"""Users of the caller's customer: listing, creating, roles, teams, deactivation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.access import require_admin
from api.deps import CurrentCaller, Db, State, Writer
from api.errors import Forbidden
from api.schemas.errors import COMMON, CONFLICTS
from api.schemas.users import (
    RoleName,
    RoleUpdate,
    TeamAssignment,
    UserCreate,
    UserCreated,
    UserPage,
    UserPublic,
)
from warehouse import access, invites, users
from warehouse.passwords import hash_password

router = APIRouter(prefix="/v1/users", tags=["users"], responses=COMMON)

Limit = Annotated[int, Query(ge=1, le=200, description="Users per page.")]
Offset = Annotated[int, Query(ge=0, description="Users to skip.")]


def public(user: users.User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("")
async def list_users(
    caller: CurrentCaller,
    conn: Db,
    team_id: uuid.UUID | None = None,
    role: RoleName | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> UserPage:
    """Users of your organisation, oldest first, by team or role (admins)."""
    require_admin(caller, "list all users")
    rows = await users.page(
        conn, customer_id=caller.customer_id, role=role, team_id=team_id,
        limit=limit + 1, offset=offset,
    )  # fmt: skip
    more = len(rows) > limit
    return UserPage(
        items=[public(u) for u in rows[:limit]],
        next_offset=offset + limit if more else None,
    )


@router.post("", status_code=201, responses=CONFLICTS)
async def create_user(
    body: UserCreate, caller: Writer, conn: Db, state: State
) -> UserCreated:
    """Add a user (admins).

    Give an initial `password`, or leave it out to get a one-time invite code,
    valid for 7 days, that the user exchanges at `POST /v1/auth/accept-invite`.
    """
    require_admin(caller, "add users")
    password_hash = None
    if body.password is not None:
        password_hash = await run_in_threadpool(hash_password, body.password)
    user = await users.create(
        conn, caller, email=body.email, name=body.name, role=body.role,
        team_id=body.team_id, password_hash=password_hash,
    )  # fmt: skip
    if password_hash is not None:
        return UserCreated(user=public(user), invite_code=None, invite_expires_at=None)
    ttl = timedelta(seconds=state.settings.invite_ttl_s)
    code, expires_at = await invites.create(
        conn, customer_id=caller.customer_id, user_id=user.id, ttl=ttl
    )
    return UserCreated(
        user=public(user), invite_code=code, invite_expires_at=expires_at
    )


@router.get("/{user_id}")
async def get_user(user_id: uuid.UUID, caller: CurrentCaller, conn: Db) -> UserPublic:
    """One user: admins see anyone, managers their teams' members, users themself."""
    user = await users.get(conn, customer_id=caller.customer_id, user_id=user_id)
    if not await access.can_see_user(conn, caller, user_id):
        raise Forbidden("you may see only yourself and the members of teams you manage")
    return public(user)


@router.patch("/{user_id}/role", responses=CONFLICTS)
async def change_role(
    user_id: uuid.UUID, body: RoleUpdate, caller: Writer, conn: Db
) -> UserPublic:
    """Change a user's role (admins; never your own)."""
    require_admin(caller, "change roles")
    return public(await users.set_role(conn, caller, user_id=user_id, role=body.role))


@router.patch("/{user_id}/team", responses=CONFLICTS)
async def change_team(
    user_id: uuid.UUID, body: TeamAssignment, caller: Writer, conn: Db
) -> UserPublic:
    """Move a user to another own team, leaving their previous one (admins)."""
    require_admin(caller, "move users between teams")
    user = await users.set_team(conn, caller, user_id=user_id, team_id=body.team_id)
    return public(user)


@router.post("/{user_id}/deactivate", responses=CONFLICTS)
async def deactivate_user(user_id: uuid.UUID, caller: Writer, conn: Db) -> UserPublic:
    """Deactivate a user (admins): their sessions and tokens stop, data stays."""
    require_admin(caller, "deactivate users")
    return public(await users.deactivate(conn, caller, user_id=user_id))
