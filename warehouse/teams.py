"""Teams of a customer as the API manages them: create, rename, archive, members.

Every function is scoped to the customer it is given; changes are audited in
the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from warehouse import audit, users
from warehouse.access import LEADER_ROLES, Caller
from warehouse.errors import Conflict, NotFound
from warehouse.identity import INSERT_MEMBERSHIP
from warehouse.invariants import checked

TEAM_COLUMNS = """
SELECT t.id, t.name, t.profile_pic, t.archived_at, t.created_at,
       (SELECT count(*) FROM team_memberships m WHERE m.team_id = t.id)::int
           AS member_count
FROM teams t
"""
GET_TEAM = TEAM_COLUMNS + "WHERE t.customer_id = %(customer_id)s AND t.id = %(id)s"
LIST_TEAMS = (
    TEAM_COLUMNS
    + """
WHERE t.customer_id = %(customer_id)s
  AND (%(ids)s::uuid[] IS NULL OR t.id = ANY(%(ids)s))
  AND (%(archived)s OR t.archived_at IS NULL)
ORDER BY lower(t.name), t.id
"""
)
INSERT_TEAM = """
INSERT INTO teams (customer_id, name) VALUES (%(customer_id)s, %(name)s)
RETURNING id
"""
UPDATE_TEAM = """
UPDATE teams SET name = coalesce(%(name)s, name),
                 profile_pic = CASE WHEN %(set_pic)s THEN %(pic)s ELSE profile_pic END
WHERE customer_id = %(customer_id)s AND id = %(id)s
"""
ARCHIVE_TEAM = """
UPDATE teams SET archived_at = now()
WHERE customer_id = %(customer_id)s AND id = %(id)s AND archived_at IS NULL
"""
CLEAR_OWN_TEAM = """
UPDATE users SET team_id = NULL
WHERE customer_id = %(customer_id)s AND id = %(user_id)s AND team_id = %(team_id)s
"""
DUPLICATE_NAME = "a live team with this name already exists; choose another name"


@dataclass(frozen=True, slots=True)
class Team:
    """A team as the API shows it."""

    id: uuid.UUID
    name: str
    profile_pic: str | None
    archived_at: datetime | None
    created_at: datetime
    member_count: int

    def snapshot(self) -> dict[str, Any]:
        """The fields an audit entry records, as JSON values."""
        data = asdict(self)
        archived = data["archived_at"]
        return {
            "name": data["name"],
            "profile_pic": data["profile_pic"],
            "archived_at": archived.isoformat() if archived else None,
        }


async def get(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, team_id: uuid.UUID
) -> Team:
    """The team, or NotFound when it is not in `customer_id`."""
    async with conn.cursor(row_factory=class_row(Team)) as cur:
        await cur.execute(GET_TEAM, {"customer_id": customer_id, "id": team_id})
        team = await cur.fetchone()
    if team is None:
        raise NotFound(f"no team {team_id}")
    return team


async def listed(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    only: set[uuid.UUID] | None,
    archived: bool,
) -> list[Team]:
    """The customer's teams by name, restricted to `only` unless it is None."""
    params = {
        "customer_id": customer_id,
        "ids": None if only is None else list(only),
        "archived": archived,
    }
    async with conn.cursor(row_factory=class_row(Team)) as cur:
        await cur.execute(LIST_TEAMS, params)
        return await cur.fetchall()


async def create(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    name: str,
    manager_user_id: uuid.UUID,
) -> Team:
    """Create a team led by a manager or admin of the same customer; audited."""
    customer_id = caller.customer_id
    manager = await users.get(conn, customer_id=customer_id, user_id=manager_user_id)
    if manager.role not in LEADER_ROLES or not manager.active:
        raise Conflict(
            f"user {manager_user_id} is not an active manager or admin; "
            "change their role first or choose another manager"
        )
    async with checked(conn, duplicate=DUPLICATE_NAME):
        cur = await conn.execute(
            INSERT_TEAM, {"customer_id": customer_id, "name": name}
        )
        row = await cur.fetchone()
        assert row is not None
        member = {"customer_id": customer_id, "team_id": row[0], "user_id": manager.id}
        await conn.execute(INSERT_MEMBERSHIP, member)
    team = await get(conn, customer_id=customer_id, team_id=row[0])
    after = {**team.snapshot(), "manager_user_id": str(manager.id)}
    await audit.record(
        conn, caller, action="team.created", target_type="team",
        target_id=team.id, after=after,
    )  # fmt: skip
    return team


async def update(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    team_id: uuid.UUID,
    name: str | None,
    profile_pic: str | None,
    set_pic: bool,
) -> Team:
    """Rename a team or change its picture; audited."""
    before = await get(conn, customer_id=caller.customer_id, team_id=team_id)
    params = {
        "customer_id": caller.customer_id,
        "id": team_id,
        "name": name,
        "pic": profile_pic,
        "set_pic": set_pic,
    }
    async with checked(conn, duplicate=DUPLICATE_NAME):
        await conn.execute(UPDATE_TEAM, params)
    return await _audited(conn, caller, "team.updated", before)


async def archive(
    conn: psycopg.AsyncConnection, caller: Caller, *, team_id: uuid.UUID
) -> Team:
    """Archive a team: it leaves listings and takes no new members; audited."""
    before = await get(conn, customer_id=caller.customer_id, team_id=team_id)
    if before.archived_at is not None:
        return before
    params = {"customer_id": caller.customer_id, "id": team_id}
    async with checked(conn):
        await conn.execute(ARCHIVE_TEAM, params)
    return await _audited(conn, caller, "team.archived", before)


async def add_member(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """Make a user of the customer a member of a live team; audited."""
    customer_id = caller.customer_id
    await users.require_live_team(conn, customer_id=customer_id, team_id=team_id)
    user = await users.get(conn, customer_id=customer_id, user_id=user_id)
    if team_id in user.team_ids:
        return
    member = {"customer_id": customer_id, "team_id": team_id, "user_id": user_id}
    async with checked(conn):
        await conn.execute(INSERT_MEMBERSHIP, member)
    await audit.record(
        conn, caller, action="team.member_added", target_type="team",
        target_id=team_id, after={"user_id": str(user_id)},
    )  # fmt: skip


async def remove_member(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """Remove a member; the team must keep a manager or admin. Audited."""
    member = {"customer_id": caller.customer_id, "team_id": team_id, "user_id": user_id}
    async with checked(conn, actor_user_id=caller.user_id):
        cur = await conn.execute(users.DELETE_MEMBERSHIP, member)
        if cur.rowcount == 0:
            raise NotFound(f"user {user_id} is not a member of team {team_id}")
        await conn.execute(CLEAR_OWN_TEAM, member)
    await audit.record(
        conn, caller, action="team.member_removed", target_type="team",
        target_id=team_id, before={"user_id": str(user_id)},
    )  # fmt: skip


async def _audited(
    conn: psycopg.AsyncConnection, caller: Caller, action: str, before: Team
) -> Team:
    after = await get(conn, customer_id=caller.customer_id, team_id=before.id)
    await audit.record(
        conn, caller, action=action, target_type="team", target_id=before.id,
        before=before.snapshot(), after=after.snapshot(),
    )  # fmt: skip
    return after
