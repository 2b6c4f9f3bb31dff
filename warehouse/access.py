"""Who a caller is and what they may see: the one place visibility is decided.

Admins see and manage everything in their customer; a manager manages the
teams they are a member of and sees those teams' members; a user sees their
own teams and themself. Every read route asks these helpers rather than
deciding on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import psycopg

Role = Literal["admin", "manager", "user"]
Via = Literal["session", "token"]
ROLES: tuple[Role, ...] = ("admin", "manager", "user")
LEADER_ROLES = frozenset({"admin", "manager"})
# What each role may do; a token's scopes are narrowed to its maker's role.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({"ingest", "read", "admin"}),
    "manager": frozenset({"ingest", "read", "admin"}),
    "user": frozenset({"ingest", "read"}),
}

MEMBER_TEAMS = """
SELECT m.team_id FROM team_memberships m JOIN teams t ON t.id = m.team_id
WHERE m.customer_id = %(customer_id)s AND m.user_id = %(user_id)s
  AND t.archived_at IS NULL
"""
CUSTOMER_TEAMS = """
SELECT id FROM teams WHERE customer_id = %(customer_id)s AND archived_at IS NULL
"""
CUSTOMER_USERS = "SELECT id FROM users WHERE customer_id = %(customer_id)s"
TEAM_MEMBERS = """
SELECT DISTINCT user_id FROM team_memberships
WHERE customer_id = %(customer_id)s AND team_id = ANY(%(team_ids)s)
"""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a user in a session, or a token acting for its maker."""

    customer_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    via: Via
    scopes: frozenset[str]
    token_id: uuid.UUID | None = None
    token_team_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_leader(self) -> bool:
        """Whether the caller is a manager or an admin."""
        return self.role in LEADER_ROLES

    @property
    def can_read(self) -> bool:
        return bool(self.scopes & {"read", "admin"})

    @property
    def can_write(self) -> bool:
        return "admin" in self.scopes


def effective_scopes(role: str, scopes: list[str] | frozenset[str]) -> frozenset[str]:
    """A token's scopes as far as its maker's current role allows them."""
    return frozenset(scopes) & ROLE_SCOPES.get(role, frozenset())


async def _ids(
    conn: psycopg.AsyncConnection, query: str, params: Mapping[str, object]
) -> set[uuid.UUID]:
    cur = await conn.execute(query, params)
    return {row[0] for row in await cur.fetchall()}


async def member_team_ids(
    conn: psycopg.AsyncConnection, caller: Caller
) -> set[uuid.UUID]:
    """The live teams the caller is a member of."""
    params = {"customer_id": caller.customer_id, "user_id": caller.user_id}
    return await _ids(conn, MEMBER_TEAMS, params)


async def visible_team_ids(
    conn: psycopg.AsyncConnection, caller: Caller
) -> set[uuid.UUID]:
    """Teams whose figures the caller may see: all for admins, else their own."""
    if caller.is_admin:
        return await _ids(conn, CUSTOMER_TEAMS, {"customer_id": caller.customer_id})
    return await member_team_ids(conn, caller)


async def managed_team_ids(
    conn: psycopg.AsyncConnection, caller: Caller
) -> set[uuid.UUID]:
    """Teams the caller manages: all for admins, member teams for managers."""
    if caller.is_admin:
        return await _ids(conn, CUSTOMER_TEAMS, {"customer_id": caller.customer_id})
    if caller.role == "manager":
        return await member_team_ids(conn, caller)
    return set()


async def visible_user_ids(
    conn: psycopg.AsyncConnection, caller: Caller
) -> set[uuid.UUID]:
    """Users whose work the caller may see: managers see their teams' members."""
    if caller.is_admin:
        return await _ids(conn, CUSTOMER_USERS, {"customer_id": caller.customer_id})
    teams = await managed_team_ids(conn, caller)
    params = {"customer_id": caller.customer_id, "team_ids": list(teams)}
    members = await _ids(conn, TEAM_MEMBERS, params) if teams else set()
    return members | {caller.user_id}


async def can_manage_team(
    conn: psycopg.AsyncConnection, caller: Caller, team_id: uuid.UUID
) -> bool:
    """Whether the caller may change `team_id` (already known to be theirs)."""
    return caller.is_admin or team_id in await managed_team_ids(conn, caller)


async def can_see_user(
    conn: psycopg.AsyncConnection, caller: Caller, user_id: uuid.UUID
) -> bool:
    """Whether the caller may see `user_id` (already known to be in their customer)."""
    if caller.is_admin or user_id == caller.user_id:
        return True
    return user_id in await visible_user_ids(conn, caller)
