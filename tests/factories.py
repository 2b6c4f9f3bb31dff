"""Plain factory functions for test data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from warehouse import credentials, identity


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
