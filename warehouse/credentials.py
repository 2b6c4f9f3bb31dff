"""API tokens and OpenRouter Broadcast credentials: minting, hashing, lookup."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg.rows import class_row

TOKEN_PREFIX = "sk_"
BROADCAST_PREFIX = "orb_"
SECRET_BYTES = 32
SHOWN_PREFIX_CHARS = 10
ALL_SCOPES = ("ingest", "read", "admin")

CredentialKind = Literal["token", "broadcast"]

INSERT_TOKEN = """
INSERT INTO api_tokens
    (customer_id, team_id, user_id, name, prefix, token_hash, scopes, expires_at)
VALUES (%(customer_id)s, %(team_id)s, %(user_id)s, %(name)s, %(prefix)s,
        %(token_hash)s, %(scopes)s, %(expires_at)s)
RETURNING id
"""
INSERT_BROADCAST = """
INSERT INTO broadcast_credentials (customer_id, prefix, token_hash, created_by)
VALUES (%(customer_id)s, %(prefix)s, %(token_hash)s, %(created_by)s)
RETURNING id
"""
# A token works while it is not revoked, not expired, and its maker (if any)
# is active: deactivating a user stops their tokens at once.
LOOKUP_TOKEN = """
SELECT t.id, 'token' AS kind, t.customer_id, t.team_id, t.user_id, t.scopes
FROM api_tokens t
LEFT JOIN users u ON u.id = t.user_id
WHERE t.token_hash = %s
  AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > now())
  AND (t.user_id IS NULL OR u.active)
"""
LOOKUP_BROADCAST = """
SELECT id, 'broadcast' AS kind, customer_id, NULL::uuid AS team_id,
       NULL::uuid AS user_id, ARRAY['ingest']::text[] AS scopes
FROM broadcast_credentials
WHERE token_hash = %s AND revoked_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class Credential:
    """An authenticated caller of ingest: whose data it is and where it goes."""

    id: uuid.UUID
    kind: CredentialKind
    customer_id: uuid.UUID
    team_id: uuid.UUID | None
    user_id: uuid.UUID | None
    scopes: list[str]


def new_secret(prefix: str) -> str:
    """A fresh credential: the prefix and 32 random bytes, URL-safe."""
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> bytes:
    """The stored digest of a credential."""
    return hashlib.sha256(secret.encode()).digest()


def create_token(
    conn: psycopg.Connection,
    *,
    customer_id: uuid.UUID,
    team_id: uuid.UUID,
    name: str,
    user_id: uuid.UUID | None = None,
    scopes: tuple[str, ...] = ALL_SCOPES,
    expires_at: object = None,
) -> tuple[uuid.UUID, str]:
    """Mint an `sk_` token; return its id and the clear token, shown only once."""
    secret, params = _token_row(customer_id, team_id, name, user_id, scopes, expires_at)
    row = conn.execute(INSERT_TOKEN, params).fetchone()
    assert row is not None
    return row[0], secret


def _token_row(
    customer_id: uuid.UUID,
    team_id: uuid.UUID,
    name: str,
    user_id: uuid.UUID | None,
    scopes: tuple[str, ...],
    expires_at: object,
) -> tuple[str, dict[str, object]]:
    """A fresh `sk_` secret and the INSERT_TOKEN parameters that store it."""
    secret = new_secret(TOKEN_PREFIX)
    return secret, {
        "customer_id": customer_id,
        "team_id": team_id,
        "user_id": user_id,
        "name": name,
        "prefix": secret[:SHOWN_PREFIX_CHARS],
        "token_hash": hash_secret(secret),
        "scopes": list(scopes),
        "expires_at": expires_at,
    }


def _broadcast_row(
    customer_id: uuid.UUID, created_by: uuid.UUID | None
) -> tuple[str, dict[str, object]]:
    """A fresh `orb_` secret and the INSERT_BROADCAST parameters that store it."""
    secret = new_secret(BROADCAST_PREFIX)
    return secret, {
        "customer_id": customer_id,
        "prefix": secret[:SHOWN_PREFIX_CHARS],
        "token_hash": hash_secret(secret),
        "created_by": created_by,
    }


def create_broadcast_credential(
    conn: psycopg.Connection,
    *,
    customer_id: uuid.UUID,
    created_by: uuid.UUID | None = None,
) -> tuple[uuid.UUID, str]:
    """Mint an `orb_` OpenRouter Broadcast credential; the secret is shown once."""
    secret, params = _broadcast_row(customer_id, created_by)
    row = conn.execute(INSERT_BROADCAST, params).fetchone()
    assert row is not None
    return row[0], secret


def lookup_query(secret: str) -> str | None:
    """The query that finds `secret`'s credential, or None for an unknown shape."""
    if secret.startswith(TOKEN_PREFIX):
        return LOOKUP_TOKEN
    if secret.startswith(BROADCAST_PREFIX):
        return LOOKUP_BROADCAST
    return None


async def authenticate(conn: psycopg.AsyncConnection, secret: str) -> Credential | None:
    """The live credential for `secret`, or None when unknown, revoked or expired."""
    query = lookup_query(secret)
    if query is None:
        return None
    async with conn.cursor(row_factory=class_row(Credential)) as cur:
        await cur.execute(query, (hash_secret(secret),))
        return await cur.fetchone()


TOUCH_TOKEN = """
UPDATE api_tokens SET last_used_at = now()
WHERE id = %s AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""


async def touch(conn: psycopg.AsyncConnection, credential: Credential) -> None:
    """Record that a token was used; at most one write a minute per token."""
    if credential.kind == "token":
        await conn.execute(TOUCH_TOKEN, (credential.id,))


async def mint_token(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    team_id: uuid.UUID,
    name: str,
    user_id: uuid.UUID | None,
    scopes: tuple[str, ...],
    expires_at: object = None,
) -> tuple[uuid.UUID, str]:
    """`create_token` on an async connection, for the API."""
    secret, params = _token_row(customer_id, team_id, name, user_id, scopes, expires_at)
    cur = await conn.execute(INSERT_TOKEN, params)
    row = await cur.fetchone()
    assert row is not None
    token_id: uuid.UUID = row[0]
    return token_id, secret


async def mint_broadcast_credential(
    conn: psycopg.AsyncConnection, *, customer_id: uuid.UUID, created_by: uuid.UUID
) -> tuple[uuid.UUID, str]:
    """`create_broadcast_credential` on an async connection, for the API."""
    secret, params = _broadcast_row(customer_id, created_by)
    cur = await conn.execute(INSERT_BROADCAST, params)
    row = await cur.fetchone()
    assert row is not None
    credential_id: uuid.UUID = row[0]
    return credential_id, secret
