"""Users of a customer as the API manages them: reads, roles, teams, status.

Every function takes the customer to look in, so a user of another customer
is simply not found. Changes are audited in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from warehouse import audit
from warehouse.access import Caller
from warehouse.errors import Conflict, NotFound
from warehouse.identity import INSERT_MEMBERSHIP, INSERT_USER
from warehouse.invariants import checked

USER_COLUMNS = """
SELECT u.id, u.customer_id, u.email, u.name, u.role, u.team_id, u.active,
       u.created_at, u.deactivated_at,
       ARRAY(SELECT m.team_id FROM team_memberships m
             WHERE m.user_id = u.id ORDER BY m.team_id) AS team_ids
FROM users u
"""
GET_USER = USER_COLUMNS + "WHERE u.customer_id = %(customer_id)s AND u.id = %(id)s"
LIST_USERS = (
    USER_COLUMNS
    + """
WHERE u.customer_id = %(customer_id)s
  AND (%(role)s::text IS NULL OR u.role = %(role)s)
  AND (%(team_id)s::uuid IS NULL OR EXISTS (
        SELECT 1 FROM team_memberships m
        WHERE m.user_id = u.id AND m.team_id = %(team_id)s))
ORDER BY u.created_at, u.id
LIMIT %(limit)s OFFSET %(offset)s
"""
)
TEAM_MEMBERS = (
    USER_COLUMNS
    + """
JOIN team_memberships tm ON tm.user_id = u.id
WHERE u.customer_id = %(customer_id)s AND tm.team_id = %(team_id)s
ORDER BY u.created_at, u.id
"""
)
DELETE_MEMBERSHIP = """
DELETE FROM team_memberships
WHERE customer_id = %(customer_id)s AND team_id = %(team_id)s
  AND user_id = %(user_id)s
"""
LIVE_TEAM = """
SELECT 1 FROM teams
WHERE customer_id = %(customer_id)s AND id = %(team_id)s AND archived_at IS NULL
"""
SET_ROLE = """
UPDATE users SET role = %(role)s WHERE customer_id = %(customer_id)s AND id = %(id)s
"""
SET_TEAM = """
UPDATE users SET team_id = %(team_id)s
WHERE customer_id = %(customer_id)s AND id = %(id)s
"""
DEACTIVATE = """
UPDATE users SET active = false, deactivated_at = now()
WHERE customer_id = %(customer_id)s AND id = %(id)s AND active
"""
FIND_LOGIN = """
SELECT id, password_hash, active FROM users WHERE lower(email) = lower(%s)
"""
SESSION_USER = "SELECT id, customer_id, role, active FROM users WHERE id = %s"
# TODO: emails are unique across customers (login looks them up globally), so
# this answer tells an admin that an address is taken elsewhere; decide
# whether per-customer emails with a customer-qualified login are wanted.
DUPLICATE_EMAIL = "a user with this email already exists; choose another email"


@dataclass(frozen=True, slots=True)
class User:
    """A user as the API shows them, with every team they are a member of."""

    id: uuid.UUID
    customer_id: uuid.UUID
    email: str
    name: str
    role: str
    team_id: uuid.UUID | None
    active: bool
    created_at: datetime
    deactivated_at: datetime | None
    team_ids: list[uuid.UUID]

    def snapshot(self) -> dict[str, Any]:
        """The fields an audit entry records, as JSON values."""
        keep = ("email", "name", "role", "team_id", "active", "team_ids")
        data = asdict(self)
        return {k: _json(data[k]) for k in keep}


@dataclass(frozen=True, slots=True)
class Login:
    """What checking a password needs."""

    id: uuid.UUID
    password_hash: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class SessionUser:
    """What a session needs to know of its user on every request."""

    id: uuid.UUID
    customer_id: uuid.UUID
    role: str
    active: bool


def _json(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


async def get(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, user_id: uuid.UUID
) -> User:
    """The user, or NotFound when it is not in `customer_id`."""
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(GET_USER, {"customer_id": customer_id, "id": user_id})
        user = await cur.fetchone()
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


async def page(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    role: str | None,
    team_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[User]:
    """Users of a customer, oldest first, optionally of one role or team."""
    params = {
        "customer_id": customer_id,
        "role": role,
        "team_id": team_id,
        "limit": limit,
        "offset": offset,
    }
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(LIST_USERS, params)
        return await cur.fetchall()


async def team_members(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, team_id: uuid.UUID
) -> list[User]:
    """Members of a team."""
    async with conn.cursor(row_factory=class_row(User)) as cur:
        await cur.execute(
            TEAM_MEMBERS, {"customer_id": customer_id, "team_id": team_id}
        )
        return await cur.fetchall()


async def require_live_team(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, team_id: uuid.UUID
) -> None:
    """NotFound unless `team_id` is a team of the customer and not archived."""
    cur = await conn.execute(
        LIVE_TEAM, {"customer_id": customer_id, "team_id": team_id}
    )
    if await cur.fetchone() is None:
        raise NotFound(f"no team {team_id}")


async def insert(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    email: str,
    name: str,
    role: str,
    team_id: uuid.UUID | None,
    password_hash: str | None,
) -> uuid.UUID:
    """Insert a user and their membership of `team_id`, without auditing."""
    params = {
        "customer_id": customer_id,
        "email": email,
        "name": name,
        "role": role,
        "team_id": team_id,
        "password_hash": password_hash,
    }
    async with checked(conn, duplicate=DUPLICATE_EMAIL):
        cur = await conn.execute(INSERT_USER, params)
        row = await cur.fetchone()
        assert row is not None
        if team_id is not None:
            member = {"customer_id": customer_id, "team_id": team_id, "user_id": row[0]}
            await conn.execute(INSERT_MEMBERSHIP, member)
    user_id: uuid.UUID = row[0]
    return user_id


async def create(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    email: str,
    name: str,
    role: str,
    team_id: uuid.UUID | None,
    password_hash: str | None,
) -> User:
    """Create a user in the caller's customer; audited."""
    customer_id = caller.customer_id
    if team_id is not None:
        await require_live_team(conn, customer_id=customer_id, team_id=team_id)
    user_id = await insert(
        conn,
        customer_id=customer_id,
        email=email,
        name=name,
        role=role,
        team_id=team_id,
        password_hash=password_hash,
    )
    user = await get(conn, customer_id=customer_id, user_id=user_id)
    await audit.record(
        conn, caller, action="user.created", target_type="user",
        target_id=user_id, after=user.snapshot(),
    )  # fmt: skip
    return user


async def set_role(
    conn: psycopg.AsyncConnection, caller: Caller, *, user_id: uuid.UUID, role: str
) -> User:
    """Change a user's role; nobody changes their own. Audited."""
    before = await get(conn, customer_id=caller.customer_id, user_id=user_id)
    if user_id == caller.user_id:
        raise Conflict("a user cannot change their own role; ask another admin")
    async with checked(conn, actor_user_id=caller.user_id):
        params = {"customer_id": caller.customer_id, "id": user_id, "role": role}
        await conn.execute(SET_ROLE, params)
    return await _audited(conn, caller, "user.role_changed", before)


async def set_team(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    user_id: uuid.UUID,
    team_id: uuid.UUID,
) -> User:
    """Move a user to another own team (leaving the old one). Audited."""
    customer_id = caller.customer_id
    before = await get(conn, customer_id=customer_id, user_id=user_id)
    await require_live_team(conn, customer_id=customer_id, team_id=team_id)
    async with checked(conn, actor_user_id=caller.user_id):
        params = {"customer_id": customer_id, "id": user_id, "team_id": team_id}
        await conn.execute(SET_TEAM, params)
        member = {"customer_id": customer_id, "team_id": team_id, "user_id": user_id}
        await conn.execute(INSERT_MEMBERSHIP, member)
        if before.team_id is not None and before.team_id != team_id:
            await conn.execute(DELETE_MEMBERSHIP, {**member, "team_id": before.team_id})
    return await _audited(conn, caller, "user.team_changed", before)


async def deactivate(
    conn: psycopg.AsyncConnection, caller: Caller, *, user_id: uuid.UUID
) -> User:
    """Deactivate a user: their sessions and tokens stop, their data stays."""
    before = await get(conn, customer_id=caller.customer_id, user_id=user_id)
    if not before.active:
        return before
    async with checked(conn, actor_user_id=caller.user_id):
        await conn.execute(
            DEACTIVATE, {"customer_id": caller.customer_id, "id": user_id}
        )
    return await _audited(conn, caller, "user.deactivated", before)


async def _audited(
    conn: psycopg.AsyncConnection, caller: Caller, action: str, before: User
) -> User:
    after = await get(conn, customer_id=caller.customer_id, user_id=before.id)
    await audit.record(
        conn, caller, action=action, target_type="user", target_id=before.id,
        before=before.snapshot(), after=after.snapshot(),
    )  # fmt: skip
    return after


async def find_login(conn: psycopg.AsyncConnection, email: str) -> Login | None:
    """The account an email logs in to, if any."""
    async with conn.cursor(row_factory=class_row(Login)) as cur:
        await cur.execute(FIND_LOGIN, (email.strip(),))
        return await cur.fetchone()


async def session_user(
    conn: psycopg.AsyncConnection, user_id: uuid.UUID
) -> SessionUser | None:
    """The user a session or token acts for, active or not."""
    async with conn.cursor(row_factory=class_row(SessionUser)) as cur:
        await cur.execute(SESSION_USER, (user_id,))
        return await cur.fetchone()
