"""The append-only audit log of identity and credential changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from warehouse.access import Caller

INSERT_ENTRY = """
INSERT INTO audit_log (customer_id, actor_user_id, actor_token_id, action,
                       target_type, target_id, before, after)
VALUES (%(customer_id)s, %(actor_user_id)s, %(actor_token_id)s, %(action)s,
        %(target_type)s, %(target_id)s, %(before)s, %(after)s)
"""
LIST_ENTRIES = """
SELECT id, at, actor_user_id, actor_token_id, action, target_type, target_id,
       before, after
FROM audit_log
WHERE customer_id = %(customer_id)s
ORDER BY seq DESC
LIMIT %(limit)s OFFSET %(offset)s
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One change: who made it, to what, and the state before and after."""

    id: uuid.UUID
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


async def record(
    conn: psycopg.AsyncConnection,
    caller: Caller,
    *,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry in the caller's customer, in the current transaction."""
    await conn.execute(
        INSERT_ENTRY,
        {
            "customer_id": caller.customer_id,
            "actor_user_id": caller.user_id,
            "actor_token_id": caller.token_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "before": None if before is None else Jsonb(before),
            "after": None if after is None else Jsonb(after),
        },
    )


async def entries(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    limit: int,
    offset: int,
) -> list[Entry]:
    """A customer's entries, newest first."""
    params = {"customer_id": customer_id, "limit": limit, "offset": offset}
    async with conn.cursor(row_factory=class_row(Entry)) as cur:
        await cur.execute(LIST_ENTRIES, params)
        return await cur.fetchall()
