"""Plain factory functions for test data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from warehouse import credentials, identity, passwords


@dataclass(frozen=True)
class Tenant:
    """A customer with one team, an admin in it and an ingest token."""

    customer_id: uuid.UUID
    team_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    token: str
    token_id: uuid.UUID


def make_tenant(conn: psycopg.Connection, name: str = "Acme") -> Tenant:
    """Create a customer, a team, an admin member and a token acting for them."""
    suffix = uuid.uuid4().hex[:8]
    customer_id = identity.create_customer(conn, name)
    team_id = identity.create_team(conn, customer_id=customer_id, name="Platform")
    email = f"admin-{suffix}@{name.lower()}.test"
    user_id = identity.create_user(
        conn,
        customer_id=customer_id,
        email=email,
        name="Admin",
        role="admin",
        team_id=team_id,
    )
    token_id, token = credentials.create_token(
        conn, customer_id=customer_id, team_id=team_id, name="ci", user_id=user_id
    )
    return Tenant(customer_id, team_id, user_id, email, token, token_id)


def make_user(
    conn: psycopg.Connection,
    tenant: Tenant,
    *,
    email: str,
    team_id: uuid.UUID | None = None,
    role: str = "user",
) -> uuid.UUID:
    """Another user of the tenant, a member of `team_id` (default its team)."""
    return identity.create_user(
        conn,
        customer_id=tenant.customer_id,
        email=email,
        name=email.split("@")[0],
        role=role,
        team_id=team_id or tenant.team_id,
    )


def make_team(
    conn: psycopg.Connection,
    tenant: Tenant,
    *,
    name: str | None = None,
    members: tuple[uuid.UUID, ...] = (),
) -> uuid.UUID:
    """Another team of the tenant with these members."""
    team_id = identity.create_team(
        conn,
        customer_id=tenant.customer_id,
        name=name or f"team-{uuid.uuid4().hex[:8]}",
    )
    for user_id in members:
        identity.add_member(
            conn, customer_id=tenant.customer_id, team_id=team_id, user_id=user_id
        )
    return team_id


def make_token(
    conn: psycopg.Connection,
    tenant: Tenant,
    *,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    scopes: tuple[str, ...] = credentials.ALL_SCOPES,
    expires_at: object = None,
) -> tuple[uuid.UUID, str]:
    """A token of the tenant acting for `user_id` (default its admin)."""
    return credentials.create_token(
        conn,
        customer_id=tenant.customer_id,
        team_id=team_id or tenant.team_id,
        name=f"token-{uuid.uuid4().hex[:8]}",
        user_id=user_id or tenant.user_id,
        scopes=scopes,
        expires_at=expires_at,
    )


def set_password(conn: psycopg.Connection, user_id: uuid.UUID, password: str) -> None:
    """Give a user a password to log in with."""
    conn.execute(
        "UPDATE users SET password_hash = %s WHERE id = %s",
        (passwords.hash_password(password), user_id),
    )
