"""API tokens and Broadcast credentials as the API manages them.

Minting and hashing live in `warehouse.credentials`; this module lists,
creates, revokes and rotates them for a customer, auditing each change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from warehouse import audit, credentials, users
from warehouse.access import Caller
from warehouse.errors import NotFound

TOKEN_COLUMNS = """
SELECT id, name, prefix, team_id, user_id, scopes, created_at, last_used_at,
       expires_at, revoked_at
FROM api_tokens
"""
GET_TOKEN = TOKEN_COLUMNS + "WHERE customer_id = %(customer_id)s AND id = %(id)s"
LIST_TOKENS = (
    TOKEN_COLUMNS
    + """
WHERE customer_id = %(customer_id)s
  AND (%(teams)s::uuid[] IS NULL OR team_id = ANY(%(teams)s)
       OR user_id = %(user_id)s)
ORDER BY created_at DESC, id
"""
)
REVOKE_TOKEN = """
UPDATE api_tokens SET revoked_at = now()
WHERE customer_id = %(customer_id)s AND id = %(id)s AND revoked_at IS NULL
"""
BROADCAST_COLUMNS = """
SELECT id, prefix, created_by, created_at, revoked_at FROM broadcast_credentials
"""
LIST_BROADCAST = (
    BROADCAST_COLUMNS + "WHERE customer_id = %s ORDER BY created_at DESC, id"
)
GET_BROADCAST = BROADCAST_COLUMNS + "WHERE id = %s"
REVOKE_BROADCAST = """
UPDATE broadcast_credentials SET revoked_at = now()
WHERE customer_id = %s AND revoked_at IS NULL
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Token:
    """An API token without its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    team_id: uuid.UUID
    user_id: uuid.UUID | None
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    def snapshot(self) -> dict[str, Any]:
        """The fields an audit entry records, as JSON values."""
        return {
            "name": self.name,
            "prefix": self.prefix,
            "team_id": str(self.team_id),
            "scopes": self.scopes,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked": self.revoked_at is not None,
        }


@dataclass(frozen=True, slots=True)
class BroadcastCredential:
    """An OpenRouter Broadcast credential without its secret."""

    id: uuid.UUID
    prefix: str
    created_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None


async def get(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, token_id: uuid.UUID
) -> Token:
    """The token, or NotFound when it is not in `customer_id`."""
    async with conn.cursor(row_factory=class_row(Token)) as cur:
        await cur.execute(GET_TOKEN, {"customer_id": customer_id, "id": token_id})
        token = await cur.fetchone()
    if token is None:
        raise NotFound(f"no token {token_id}")
    return token


async def listed(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    teams: set[uuid.UUID] | None,
    user_id: uuid.UUID | None,
) -> list[Token]:
    """Tokens of the customer, newest first: all, or those of `teams` and
    those made by `user_id`."""
    params = {
        "customer_id": customer_id,
        "teams": None if teams is None else list(teams),
        "user_id": user_id,
    }
    async with conn.cursor(row_factory=class_row(Token)) as cur:
        await cur.execute(LIST_TOKENS, params)
        return await cur.fetchall()


async def create(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    team_id: uuid.UUID,
    name: str,
    scopes: tuple[str, ...],
    expires_at: datetime | None,
) -> tuple[Token, str]:
    """Mint a token acting for the caller; return it and its clear secret."""
    await users.require_live_team(conn, customer_id=caller.customer_id, team_id=team_id)
    token_id, secret = await credentials.mint_token(
        conn,
        customer_id=caller.customer_id,
        team_id=team_id,
        name=name,
        user_id=caller.user_id,
        scopes=scopes,
        expires_at=expires_at,
    )
    token = await get(conn, customer_id=caller.customer_id, token_id=token_id)
    await audit.record(
        conn, caller, action="token.created", target_type="token",
        target_id=token_id, after=token.snapshot(),
    )  # fmt: skip
    return token, secret


async def revoke(
    conn: psycopg.AsyncConnection, caller: Caller, *, token_id: uuid.UUID
) -> Token:
    """Revoke a token at once (a no-op when already revoked); audited."""
    before = await get(conn, customer_id=caller.customer_id, token_id=token_id)
    if before.revoked_at is not None:
        return before
    await conn.execute(
        REVOKE_TOKEN, {"customer_id": caller.customer_id, "id": token_id}
    )
    after = await get(conn, customer_id=caller.customer_id, token_id=token_id)
    await audit.record(
        conn, caller, action="token.revoked", target_type="token",
        target_id=token_id, before=before.snapshot(), after=after.snapshot(),
    )  # fmt: skip
    return after


async def broadcast_credentials(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID
) -> list[BroadcastCredential]:
    """The customer's Broadcast credentials, newest first."""
    async with conn.cursor(row_factory=class_row(BroadcastCredential)) as cur:
        await cur.execute(LIST_BROADCAST, (customer_id,))
        return await cur.fetchall()


async def rotate_broadcast(
    conn: psycopg.AsyncConnection, caller: Caller
) -> tuple[BroadcastCredential, str]:
    """Revoke the customer's live Broadcast credentials and mint a new one."""
    cur = await conn.execute(REVOKE_BROADCAST, (caller.customer_id,))
    revoked = [str(row[0]) for row in await cur.fetchall()]
    credential_id, secret = await credentials.mint_broadcast_credential(
        conn, customer_id=caller.customer_id, created_by=caller.user_id
    )
    async with conn.cursor(row_factory=class_row(BroadcastCredential)) as rows:
        await rows.execute(GET_BROADCAST, (credential_id,))
        credential = await rows.fetchone()
    assert credential is not None
    await audit.record(
        conn, caller, action="broadcast_credential.rotated",
        target_type="broadcast_credential", target_id=credential_id,
        before={"revoked_ids": revoked},
        after={"id": str(credential_id), "prefix": credential.prefix},
    )  # fmt: skip
    return credential, secret
