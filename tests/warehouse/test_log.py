"""The log is append-only in the database itself, and replay rebuilds it."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from ingest.rows import LOG_FIELDS, METRIC_FIELDS, SPAN_FIELDS
from stereos.replay import replay
from tests.factories import make_tenant
from tests.fix_server import LiveServer
from tests.js_fixtures import send_fixtures
from warehouse.log import LOG_COLUMNS, METRIC_COLUMNS, ROW_HEAD, SPAN_COLUMNS
from warehouse.migrate import migrate

SNAPSHOT = {
    "spans": "SELECT * FROM spans ORDER BY seq, ordinal",
    "metric_points": "SELECT * FROM metric_points ORDER BY seq, ordinal",
    "log_records": "SELECT * FROM log_records ORDER BY seq, ordinal",
}


def _snapshot(conn: psycopg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {table: conn.execute(query).fetchall() for table, query in SNAPSHOT.items()}


def test_ingest_rows_match_the_projection_columns() -> None:
    assert SPAN_COLUMNS == ROW_HEAD + SPAN_FIELDS
    assert METRIC_COLUMNS == ROW_HEAD + METRIC_FIELDS
    assert LOG_COLUMNS == ROW_HEAD + LOG_FIELDS


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE payloads SET source = 'edited'",
        "DELETE FROM payloads",
        "TRUNCATE payloads",
        "UPDATE {partition} SET source = 'edited'",
        "DELETE FROM {partition}",
        "TRUNCATE {partition}",
    ],
)
def test_the_log_refuses_changes(
    live: LiveServer, db: psycopg.Connection, statement: str
) -> None:
    send_fixtures(live, make_tenant(db).token)
    partition = db.execute(
        "SELECT tableoid::regclass::text FROM payloads LIMIT 1"
    ).fetchone()
    assert partition is not None

    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db.execute(statement.format(partition=partition[0]))
    assert db.execute("SELECT count(*) FROM payloads").fetchone() == (6,)


def test_replay_reproduces_every_projection(
    live: LiveServer, db: psycopg.Connection, db_url: str
) -> None:
    tenant = make_tenant(db)
    send_fixtures(live, tenant.token)
    before = _snapshot(db)

    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            count = await replay(conn)
            assert (count.payloads, count.rows) == (6, 10)

    asyncio.run(run())

    assert _snapshot(db) == before
    assert [len(rows) for rows in before.values()] == [3, 5, 2]


def test_migrate_is_idempotent(db: psycopg.Connection) -> None:
    assert migrate(db) == []
    versions = db.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    assert [v for (v,) in versions][:3] == [
        "0001_identity",
        "0002_log",
        "0003_deduplicated_views",
    ]


def test_partitions_exist_for_this_month_and_ahead(db: psycopg.Connection) -> None:
    count = db.execute(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent"
        " WHERE c.relname = 'payloads'"
    ).fetchone()
    assert count is not None and count[0] >= 4
