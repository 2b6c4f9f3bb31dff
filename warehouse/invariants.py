"""Writes that must respect the identity invariants the database enforces.

The schema checks its "at least one" rules with deferred constraint triggers,
so a transaction may pass through an intermediate state. `checked` runs a
block of writes in a transaction (or savepoint), then makes the deferred
checks fire before it ends, so a broken invariant surfaces as `Conflict`
with the database's reason while the caller can still answer for it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import psycopg

from warehouse.errors import Conflict

INTEGRITY_CLASS = "23"
UNIQUE_VIOLATION = "23505"
SET_ACTOR = "SELECT set_config('stereos.actor_user_id', %s, true)"
CHECK_NOW = "SET CONSTRAINTS ALL IMMEDIATE"


@contextlib.asynccontextmanager
async def checked(
    conn: psycopg.AsyncConnection,
    *,
    actor_user_id: uuid.UUID | None = None,
    duplicate: str = "the row already exists",
) -> AsyncIterator[psycopg.AsyncConnection]:
    """Run writes whose invariant violations become `Conflict`.

    `actor_user_id` names the user acting, for the rules that depend on who
    acts; `duplicate` is the message for a unique violation.
    """
    try:
        async with conn.transaction():
            if actor_user_id is not None:
                await conn.execute(SET_ACTOR, (str(actor_user_id),))
            yield conn
            await conn.execute(CHECK_NOW)
    except psycopg.Error as exc:
        state = exc.sqlstate or ""
        if state == UNIQUE_VIOLATION:
            raise Conflict(duplicate) from exc
        if state.startswith(INTEGRITY_CLASS):
            raise Conflict(_reason(exc)) from exc
        raise


def _reason(exc: psycopg.Error) -> str:
    primary = exc.diag.message_primary or str(exc)
    hint = exc.diag.message_hint
    return f"{primary}; {hint}" if hint else primary
