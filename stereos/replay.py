"""Rebuilds every projection of the log from its raw payloads."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import psycopg

from ingest.records import Signal
from stereos.ingestion import attribute, prepare
from warehouse.log import (
    StoredPayload,
    payloads_in_order,
    truncate_projections,
    write_projection,
)

logger = logging.getLogger(__name__)

TOKEN_MAKERS = "SELECT id, user_id FROM api_tokens"
SIGNALS: dict[str, Signal] = {"traces": "traces", "metrics": "metrics", "logs": "logs"}


@dataclass(slots=True)
class ReplayCount:
    """What a replay rebuilt."""

    payloads: int = 0
    rows: int = 0


async def replay(conn: psycopg.AsyncConnection) -> ReplayCount:
    """Rebuild spans, metric points and log records in one transaction.

    Readers see the old projections until the new ones commit; ingest waits
    for the rebuild, then appends after it. Users are resolved as they are
    now, so a user created since a payload arrived is now attributed.
    """
    count = ReplayCount()
    async with conn.transaction():
        await truncate_projections(conn)
        cur = await conn.execute(TOKEN_MAKERS)
        makers: dict[uuid.UUID, uuid.UUID | None] = dict(await cur.fetchall())
        async for payload in payloads_in_order(conn):
            count.rows += await _replay_one(conn, payload, makers)
            count.payloads += 1
    logger.info("replayed %d payloads into %d rows", count.payloads, count.rows)
    return count


async def _replay_one(
    conn: psycopg.AsyncConnection,
    payload: StoredPayload,
    makers: dict[uuid.UUID, uuid.UUID | None],
) -> int:
    prepared = prepare(SIGNALS[payload.signal], payload.content_type, payload.body)
    rows = await attribute(
        conn,
        customer_id=payload.customer_id,
        credential_kind=payload.credential_kind,
        team_id=payload.team_id,
        user_id=makers.get(payload.credential_id),
        rows=prepared.rows,
    )
    await write_projection(conn, seq=payload.seq, meta=payload.meta, rows=rows)
    return len(rows)
