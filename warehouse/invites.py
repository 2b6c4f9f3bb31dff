"""One-time invite codes a new user exchanges for their own password."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg

from warehouse.credentials import hash_secret, new_secret
from warehouse.errors import NotFound

INVITE_PREFIX = "inv_"

INSERT_INVITE = """
INSERT INTO invites (customer_id, user_id, code_hash, expires_at)
VALUES (%(customer_id)s, %(user_id)s, %(code_hash)s, now() + %(ttl)s)
RETURNING expires_at
"""
# Using an invite and setting the password happen in one statement, so a
# code can never be used twice, even by two requests at once.
ACCEPT_INVITE = """
WITH used AS (
    UPDATE invites SET used_at = now()
    WHERE code_hash = %(code_hash)s AND used_at IS NULL AND expires_at > now()
    RETURNING user_id
)
UPDATE users u SET password_hash = %(password_hash)s
FROM used WHERE u.id = used.user_id AND u.active
RETURNING u.id
"""


async def create(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    user_id: uuid.UUID,
    ttl: timedelta,
) -> tuple[str, datetime]:
    """A new invite for `user_id`: the clear code (shown once) and its expiry."""
    code = new_secret(INVITE_PREFIX)
    params = {
        "customer_id": customer_id,
        "user_id": user_id,
        "code_hash": hash_secret(code),
        "ttl": ttl,
    }
    cur = await conn.execute(INSERT_INVITE, params)
    row = await cur.fetchone()
    assert row is not None
    expires_at: datetime = row[0]
    return code, expires_at


async def accept(
    conn: psycopg.AsyncConnection, *, code: str, password_hash: str
) -> uuid.UUID:
    """Use an invite to set the user's password; return the user's id."""
    params = {"code_hash": hash_secret(code.strip()), "password_hash": password_hash}
    cur = await conn.execute(ACCEPT_INVITE, params)
    row = await cur.fetchone()
    if row is None:
        raise NotFound("the invite code is unknown, already used or expired")
    user_id: uuid.UUID = row[0]
    return user_id
