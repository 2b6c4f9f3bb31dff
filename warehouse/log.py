"""The append-only log: one payload row per request, its projections beside it.

Projections are written in the payload's own transaction, so a committed
payload always has its span, metric and log rows, and a 2xx answer means both.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import postgres, pq, sql
from psycopg.adapt import Dumper
from psycopg.rows import class_row

from warehouse.bodies import pack_body, unpack_body

logger = logging.getLogger(__name__)

# Columns every projection row starts with; the rest come from ingest.
ROW_HEAD = (
    "seq", "ordinal", "received_at", "customer_id", "team_id", "user_id",
    "user_ref", "attributed",
)  # fmt: skip
SPAN_COLUMNS = ROW_HEAD + (
    "trace_id", "span_id", "parent_span_id", "name", "kind", "status_code",
    "status_message", "start_time", "start_unix_nano", "end_unix_nano",
    "service_name", "scope_name", "span_class", "operation", "vendor", "model",
    "input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens",
    "cost_usd", "cost_source", "session_id", "tool_name", "response_id", "diff",
    "attributes", "resource", "events", "links",
)  # fmt: skip
METRIC_COLUMNS = ROW_HEAD + (
    "metric_name", "metric_type", "unit", "temporality", "is_monotonic",
    "start_unix_nano", "time_unix_nano", "time", "value", "int_value", "count",
    "sum", "min", "max", "distribution", "service_name", "scope_name", "vendor",
    "model", "session_id", "attributes", "resource", "dedup_key",
)  # fmt: skip
LOG_COLUMNS = ROW_HEAD + (
    "time_unix_nano", "observed_unix_nano", "time", "severity_number",
    "severity_text", "event_name", "body", "trace_id", "span_id", "service_name",
    "scope_name", "record_class", "vendor", "model", "input_tokens",
    "output_tokens", "cached_tokens", "cache_creation_tokens", "cost_usd",
    "cost_source", "session_id", "tool_name", "attributes", "resource",
    "dedup_key",
)  # fmt: skip
PROJECTIONS = {
    "traces": ("spans", SPAN_COLUMNS),
    "metrics": ("metric_points", METRIC_COLUMNS),
    "logs": ("log_records", LOG_COLUMNS),
}

INSERT_PAYLOAD = """
INSERT INTO payloads (received_at, customer_id, team_id, credential_id,
    credential_kind, signal, content_type, content_encoding, source, body,
    body_compression)
VALUES (%(received_at)s, %(customer_id)s, %(team_id)s, %(credential_id)s,
    %(credential_kind)s, %(signal)s, %(content_type)s, %(content_encoding)s,
    %(source)s, %(body)s, %(body_compression)s)
RETURNING seq
"""
ENSURE_PARTITIONS = "SELECT stereos_ensure_partitions(%s, 2)"
COLUMN_TYPES = """
SELECT attname, atttypid::int FROM pg_attribute
WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
"""
JSONB_VERSION = b"\x01"  # jsonb's binary format: a version byte, then the text
NO_PARTITION = "23514"  # check_violation: "no partition of relation found"


@dataclass(frozen=True, slots=True)
class PayloadMeta:
    """Who sent a payload, how, and when it arrived."""

    received_at: datetime
    customer_id: uuid.UUID
    team_id: uuid.UUID | None
    credential_id: uuid.UUID
    credential_kind: str
    signal: str
    content_type: str
    content_encoding: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class Attribution:
    """The Stereos user and team a row is attributed to."""

    team_id: uuid.UUID | None
    user_id: uuid.UUID | None
    user_ref: str | None
    attributed: bool


async def append(
    conn: psycopg.AsyncConnection,
    *,
    meta: PayloadMeta,
    body: bytes,
    rows: Sequence[tuple[Attribution, tuple[Any, ...]]],
) -> int:
    """Append a payload and its projection rows in one transaction; return its seq."""
    # Compressed once, before the transaction opens and whatever the retry.
    stored = pack_body(body)
    try:
        return await _append(conn, meta=meta, body=stored, rows=rows)
    except psycopg.errors.CheckViolation as exc:
        if exc.sqlstate != NO_PARTITION or "partition" not in str(exc):
            raise
    # The month's partition is missing (a long-running server crossed into a
    # month nobody prepared); create it and write again.
    async with conn.transaction():
        await conn.execute(ENSURE_PARTITIONS, (meta.received_at,))
    return await _append(conn, meta=meta, body=stored, rows=rows)


async def _append(
    conn: psycopg.AsyncConnection,
    *,
    meta: PayloadMeta,
    body: tuple[bytes, str | None],
    rows: Sequence[tuple[Attribution, tuple[Any, ...]]],
) -> int:
    stored, compression = body
    async with conn.transaction():
        values = {**asdict(meta), "body": stored, "body_compression": compression}
        cur = await conn.execute(INSERT_PAYLOAD, values)
        found = await cur.fetchone()
        assert found is not None
        seq: int = found[0]
        await write_projection(conn, seq=seq, meta=meta, rows=rows)
    return seq


async def write_projection(
    conn: psycopg.AsyncConnection,
    *,
    seq: int,
    meta: PayloadMeta,
    rows: Sequence[tuple[Attribution, tuple[Any, ...]]],
) -> None:
    """COPY the projection rows of payload `seq` into their table."""
    # Binary COPY: PostgreSQL parses no text, psycopg escapes none. It does not
    # range-check ints (an int2 column gets the low 16 bits), so ingest rejects
    # enums outside int16 and uint64 values past int64 before rows get here.
    # TODO: every row still carries its resource's JSON; storing each distinct
    # resource once per customer would cut PostgreSQL's share of ingest further.
    if not rows:
        return
    table, columns = PROJECTIONS[meta.signal]
    copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    types = await _column_types(conn, table, columns)
    head = (meta.received_at, meta.customer_id)
    async with conn.cursor() as cur:
        for dumper in JSON_TEXT_DUMPERS:
            cur.adapters.register_dumper(None, dumper)
        async with cur.copy(copy) as copier:
            copier.set_types(types)
            for ordinal, (who, values) in enumerate(rows):
                await copier.write_row(
                    (seq, ordinal, *head, who.team_id, who.user_id, who.user_ref,
                     who.attributed, *values)
                )  # fmt: skip


class _JsonTextDumper(Dumper):
    """Binary json from the JSON text ingest already serialised: the text itself."""

    format = pq.Format.BINARY
    oid = postgres.types["json"].oid

    def dump(self, obj: str) -> bytes:
        return obj.encode()


class _JsonbTextDumper(Dumper):
    """Binary jsonb from JSON text: format version 1, then the text."""

    format = pq.Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return JSONB_VERSION + obj.encode()


# Projection rows carry json and jsonb values as JSON text, which psycopg's own
# dumpers would serialise once more, as a JSON string.
JSON_TEXT_DUMPERS = (_JsonTextDumper, _JsonbTextDumper)

# Binary COPY needs each column's type; read from the catalog, so a migration
# that changes one (jsonb to json, say) needs no change here. Cached per
# connection: pooled connections outlive many requests.
# TODO: a type changed while the server runs is seen by new connections only;
# fine while migrations run before serving, not for online schema changes.
_column_type_cache: weakref.WeakKeyDictionary[
    psycopg.AsyncConnection[Any], dict[str, list[int]]
] = weakref.WeakKeyDictionary()


async def _column_types(
    conn: psycopg.AsyncConnection, table: str, columns: Sequence[str]
) -> list[int]:
    """The type oids of `columns` of `table`, as this connection's database has them."""
    known = _column_type_cache.setdefault(conn, {})
    types = known.get(table)
    if types is None:
        cur = await conn.execute(COLUMN_TYPES, (table,))
        oids: dict[str, int] = dict(await cur.fetchall())
        types = known[table] = [oids[column] for column in columns]
    return types


TRUNCATE_PROJECTIONS = "TRUNCATE spans, metric_points, log_records"
PAYLOADS_IN_ORDER = """
SELECT seq, received_at, customer_id, team_id, credential_id, credential_kind,
       signal, content_type, content_encoding, source, body AS stored_body,
       body_compression
FROM payloads ORDER BY seq
"""


@dataclass(frozen=True, slots=True)
class StoredPayload:
    """A payload read back from the log."""

    seq: int
    received_at: datetime
    customer_id: uuid.UUID
    team_id: uuid.UUID | None
    credential_id: uuid.UUID
    credential_kind: str
    signal: str
    content_type: str
    content_encoding: str | None
    source: str | None
    stored_body: bytes
    body_compression: str | None

    @property
    def body(self) -> bytes:
        """The body as it was received (decompressed, if the sender compressed it)."""
        return unpack_body(self.stored_body, self.body_compression)

    @property
    def meta(self) -> PayloadMeta:
        return PayloadMeta(
            received_at=self.received_at,
            customer_id=self.customer_id,
            team_id=self.team_id,
            credential_id=self.credential_id,
            credential_kind=self.credential_kind,
            signal=self.signal,
            content_type=self.content_type,
            content_encoding=self.content_encoding,
            source=self.source,
        )


async def payloads_in_order(
    conn: psycopg.AsyncConnection, *, batch: int = 200
) -> AsyncIterator[StoredPayload]:
    """Every payload of the log by sequence, read with a server-side cursor.

    Must run inside a transaction (server-side cursors live in one).
    """
    async with conn.cursor(
        name="payloads_in_order", row_factory=class_row(StoredPayload)
    ) as cur:
        await cur.execute(PAYLOADS_IN_ORDER)
        while rows := await cur.fetchmany(batch):
            for row in rows:
                yield row


async def truncate_projections(conn: psycopg.AsyncConnection) -> None:
    """Empty the projections (never the log) before a rebuild."""
    await conn.execute(TRUNCATE_PROJECTIONS)
