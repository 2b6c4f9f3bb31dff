"""The projection COPY stores the rows ingest built, whatever the column types."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from ingest.rows import METRIC_FIELDS, SPAN_FIELDS, digest, to_json
from tests.factories import Tenant, make_tenant
from warehouse.log import Attribution, PayloadMeta, write_projection

# What text COPY would have had to escape, and characters beyond ASCII.
AWKWARD = "tab\there\nnew line\r \\N back\\slash é 漢字 🚀 'single' \"double\""
NOBODY = Attribution(None, None, None, False)
WHEN = datetime(2026, 12, 3, 15, 47, 35, 732451, tzinfo=UTC)
VIEWS_ON_SPANS = "DROP VIEW llm_calls, llm_spans, spans_deduped"


def span_values(**given: Any) -> tuple[Any, ...]:
    """A span row in SPAN_FIELDS order: the required columns, then `given`."""
    values = dict.fromkeys(SPAN_FIELDS) | {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "span_id": "00f067aa0ba902b7",
        "name": "chat",
        "kind": 3,
        "status_code": 0,
        "start_time": WHEN,
        "start_unix_nano": 1_796_312_855_732_451_286,
        "end_unix_nano": 1_796_312_856_000_000_000,
        "span_class": "other",
        "attributes": to_json({}),
        "resource": to_json({}),
    }
    return tuple((values | given)[field] for field in SPAN_FIELDS)


def write(
    url: str,
    tenant: Tenant,
    signal: str,
    rows: Sequence[tuple[Attribution, tuple[Any, ...]]],
) -> None:
    meta = PayloadMeta(
        received_at=WHEN,
        customer_id=tenant.customer_id,
        team_id=tenant.team_id,
        credential_id=tenant.token_id,
        credential_kind="token",
        signal=signal,
        content_type="application/x-protobuf",
        content_encoding=None,
        source=None,
    )

    async def run() -> None:
        connect = psycopg.AsyncConnection.connect
        async with await connect(url) as conn, conn.transaction():
            await write_projection(conn, seq=1, meta=meta, rows=rows)

    asyncio.run(run())


def stored(db: psycopg.Connection, table: str) -> list[dict[str, Any]]:
    query = sql.SQL("SELECT * FROM {} ORDER BY ordinal").format(sql.Identifier(table))
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute(query).fetchall()


def test_span_values_are_stored_as_built(db: psycopg.Connection, db_url: str) -> None:
    tenant = make_tenant(db)
    attributes = {"k": AWKWARD, "n": 2**63 - 1, "f": 0.1, "l": [AWKWARD, None, True]}
    events = [{"name": AWKWARD, "time_unix_nano": 5, "attributes": {"x": 1}}]
    full = span_values(
        parent_span_id="b7ad6b7169203331",
        name=AWKWARD,
        status_message=AWKWARD,
        service_name=AWKWARD,
        span_class="llm",
        model=AWKWARD,
        input_tokens=2**63 - 1,
        cost_usd=1e-300,
        cost_source="sent",
        diff=AWKWARD,
        attributes=to_json(attributes),
        resource=to_json({"service.name": AWKWARD}),
        events=to_json(events),
    )
    who = Attribution(tenant.team_id, tenant.user_id, AWKWARD, True)
    write(db_url, tenant, "traces", [(who, full), (NOBODY, span_values())])

    first, second = stored(db, "spans")
    expected = dict(zip(SPAN_FIELDS, full, strict=True))
    expected |= {
        "attributes": attributes,
        "resource": {"service.name": AWKWARD},
        "events": events,
    }
    assert {field: first[field] for field in SPAN_FIELDS} == expected
    assert (first["team_id"], first["user_id"]) == (tenant.team_id, tenant.user_id)
    assert (first["user_ref"], first["attributed"]) == (AWKWARD, True)
    assert (second["ordinal"], second["parent_span_id"], second["events"]) == (
        1,
        None,
        None,
    )


def test_metric_values_keep_special_floats(db: psycopg.Connection, db_url: str) -> None:
    tenant = make_tenant(db)
    values = dict.fromkeys(METRIC_FIELDS) | {
        "metric_name": "claude_code.cost.usage",
        "metric_type": "gauge",
        "temporality": 2,
        "is_monotonic": False,
        "time_unix_nano": 1_796_312_855_732_451_286,
        "time": WHEN,
        "value": math.nan,
        "sum": math.inf,
        "min": -math.inf,
        "count": 2**63 - 1,
        "attributes": to_json({"a": AWKWARD}),
        "resource": to_json({}),
        "dedup_key": digest("key"),
    }
    row = tuple(values[field] for field in METRIC_FIELDS)
    write(db_url, tenant, "metrics", [(NOBODY, row)])

    (point,) = stored(db, "metric_points")
    assert math.isnan(point["value"])
    assert (point["sum"], point["min"]) == (math.inf, -math.inf)
    assert (point["count"], point["dedup_key"]) == (2**63 - 1, digest("key"))
    assert point["attributes"] == {"a": AWKWARD}


def test_json_columns_may_be_json_or_jsonb(db: psycopg.Connection, db_url: str) -> None:
    # The COPY reads each column's type from the catalog, so a migration that
    # changes one needs no change in the code that writes it.
    tenant = make_tenant(db)
    db.execute(VIEWS_ON_SPANS)
    db.execute("ALTER TABLE spans ALTER COLUMN attributes TYPE jsonb")
    attributes = {"k": AWKWARD, "nested": {"n": 1}}
    row = span_values(attributes=to_json(attributes), events=to_json([]))
    write(db_url, tenant, "traces", [(NOBODY, row)])

    found = db.execute(
        "SELECT pg_typeof(attributes)::text, attributes, pg_typeof(events)::text,"
        " events::text FROM spans"
    ).fetchone()
    assert found == ("jsonb", attributes, "json", "[]")


def test_invalid_json_is_a_data_error_from_postgresql(
    db: psycopg.Connection, db_url: str
) -> None:
    # Class 22, as with text COPY, so the OTLP routes still answer 400.
    tenant = make_tenant(db)
    row = span_values(attributes='{"unterminated": ')
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        write(db_url, tenant, "traces", [(NOBODY, row)])
    assert db.execute("SELECT count(*) FROM spans").fetchone() == (0,)
