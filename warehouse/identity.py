"""Customers, users, teams and memberships: the rows ingest attributes data to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from warehouse.errors import Conflict, NotFound

INSERT_CUSTOMER = "INSERT INTO customers (name) VALUES (%s) RETURNING id"
INSERT_TEAM = "INSERT INTO teams (customer_id, name) VALUES (%s, %s) RETURNING id"
INSERT_USER = """
INSERT INTO users (customer_id, email, name, role, team_id, password_hash)
VALUES (%(customer_id)s, %(email)s, %(name)s, %(role)s, %(team_id)s,
        %(password_hash)s)
RETURNING id
"""
INSERT_MEMBERSHIP = """
INSERT INTO team_memberships (customer_id, team_id, user_id)
VALUES (%(customer_id)s, %(team_id)s, %(user_id)s) ON CONFLICT DO NOTHING
"""
# Users named by a sender: by Stereos id (as text) or by email, in one customer,
# each with the teams they belong to.
RESOLVE_USERS = """
WITH named AS (
    SELECT u.id::text AS ref, u.id, u.team_id FROM users u
    WHERE u.customer_id = %(customer_id)s AND u.id::text = ANY(%(refs)s)
    UNION ALL
    SELECT lower(u.email), u.id, u.team_id FROM users u
    WHERE u.customer_id = %(customer_id)s AND lower(u.email) = ANY(%(refs)s)
)
SELECT n.ref, n.id, n.team_id,
       ARRAY(SELECT m.team_id FROM team_memberships m
             WHERE m.customer_id = %(customer_id)s AND m.user_id = n.id)
FROM named n
"""


@dataclass(frozen=True, slots=True)
class KnownUser:
    """A Stereos user a sender referred to, with the teams they belong to."""

    id: uuid.UUID
    team_id: uuid.UUID | None
    team_ids: frozenset[uuid.UUID]


def create_customer(conn: psycopg.Connection, name: str) -> uuid.UUID:
    """Create a customer and return its id."""
    row = conn.execute(INSERT_CUSTOMER, (name,)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def create_team(
    conn: psycopg.Connection, *, customer_id: uuid.UUID, name: str
) -> uuid.UUID:
    """Create a team in a customer and return its id."""
    row = conn.execute(INSERT_TEAM, (customer_id, name)).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def create_user(
    conn: psycopg.Connection,
    *,
    customer_id: uuid.UUID,
    email: str,
    name: str,
    role: str,
    team_id: uuid.UUID | None = None,
    password_hash: str | None = None,
) -> uuid.UUID:
    """Create a user (and their membership of `team_id`); return the id."""
    row = conn.execute(
        INSERT_USER,
        {
            "customer_id": customer_id,
            "email": email,
            "name": name,
            "role": role,
            "team_id": team_id,
            "password_hash": password_hash,
        },
    ).fetchone()
    assert row is not None
    user_id = uuid.UUID(str(row[0]))
    if team_id is not None:
        add_member(conn, customer_id=customer_id, team_id=team_id, user_id=user_id)
    return user_id


def add_member(
    conn: psycopg.Connection,
    *,
    customer_id: uuid.UUID,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """Make a user a member of a team (a no-op when already one)."""
    conn.execute(
        INSERT_MEMBERSHIP,
        {"customer_id": customer_id, "team_id": team_id, "user_id": user_id},
    )


async def resolve_users(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, refs: set[str]
) -> dict[str, KnownUser]:
    """Map each sender user reference (id or email, any case) to a known user.

    The result is keyed by the reference as given; unknown ones are absent.
    """
    if not refs:
        return {}
    lowered = {ref: ref.strip().lower() for ref in refs}
    # Binary results: uuids and uuid arrays load cheaper than from their text.
    cur = await conn.execute(
        RESOLVE_USERS,
        {"customer_id": customer_id, "refs": list(set(lowered.values()))},
        binary=True,
    )
    known = {
        ref: KnownUser(uid, team, frozenset(teams))
        for ref, uid, team, teams in await cur.fetchall()
    }
    return {ref: known[low] for ref, low in lowered.items() if low in known}


# Onboarding runs under this transaction lock, so two first calls cannot both
# find the deployment empty and create two "first" customers.
ONBOARDING_LOCK = 7_301_002
ANY_CUSTOMER = "SELECT EXISTS (SELECT 1 FROM customers)"
INSERT_CUSTOMER_ROW = """
INSERT INTO customers (name) VALUES (%s)
RETURNING id, name, billing_status, created_at
"""
GET_CUSTOMER = (
    "SELECT id, name, billing_status, created_at FROM customers WHERE id = %s"
)


@dataclass(frozen=True, slots=True)
class Customer:
    """A tenant as the API shows it."""

    id: uuid.UUID
    name: str
    billing_status: str
    created_at: datetime


async def is_onboarded(conn: psycopg.AsyncConnection) -> bool:
    """Whether any customer exists yet."""
    cur = await conn.execute(ANY_CUSTOMER)
    row = await cur.fetchone()
    return bool(row and row[0])


async def onboard_customer(
    conn: psycopg.AsyncConnection, *, name: str, open_signup: bool
) -> Customer:
    """Create a customer: the first one, or any number with open sign-up."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ONBOARDING_LOCK,))
    if not open_signup and await is_onboarded(conn):
        raise Conflict(
            "this deployment is already set up; log in, or enable open sign-up"
        )
    async with conn.cursor(row_factory=class_row(Customer)) as cur:
        await cur.execute(INSERT_CUSTOMER_ROW, (name,))
        customer = await cur.fetchone()
    assert customer is not None
    return customer


async def get_customer(
    conn: psycopg.AsyncConnection, customer_id: uuid.UUID
) -> Customer:
    """The customer, or NotFound."""
    async with conn.cursor(row_factory=class_row(Customer)) as cur:
        await cur.execute(GET_CUSTOMER, (customer_id,))
        customer = await cur.fetchone()
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return customer
