"""A resent export is kept in the log but counts once in the deduplicated views."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.factories import make_tenant
from tests.fix_server import LiveServer
from tests.js_fixtures import send_fixtures
from warehouse import marts
from warehouse.lake import Lake
from warehouse.refresh import refresh

COUNTS = """
SELECT (SELECT count(*) FROM spans_deduped),
       (SELECT count(*) FROM metric_points_deduped),
       (SELECT count(*) FROM log_records_deduped),
       (SELECT coalesce(sum(input_tokens), 0) FROM llm_calls),
       (SELECT coalesce(sum(value), 0) FROM metric_points_deduped
         WHERE metric_name = 'claude_code.token.usage')
"""


def test_resending_every_signal_changes_no_count(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    send_fixtures(live, tenant.token)
    first = db.execute(COUNTS).fetchone()

    send_fixtures(live, tenant.token)
    send_fixtures(live, tenant.token)

    assert first == (3, 5, 2, 1200, 1500)
    assert db.execute(COUNTS).fetchone() == first
    logged = db.execute("SELECT count(*) FROM payloads").fetchone()
    assert logged == (18,)
    assert db.execute("SELECT count(*) FROM spans").fetchone() == (9,)


def test_same_span_from_two_customers_counts_for_each(
    live: LiveServer, db: psycopg.Connection
) -> None:
    first, second = make_tenant(db, "Acme"), make_tenant(db, "Globex")
    send_fixtures(live, first.token)
    send_fixtures(live, second.token)

    per_customer = db.execute(
        "SELECT customer_id, count(*) FROM spans_deduped GROUP BY 1 ORDER BY 2"
    ).fetchall()
    assert sorted(c for c, _ in per_customer) == sorted(
        [first.customer_id, second.customer_id]
    )
    assert [n for _, n in per_customer] == [3, 3]


def test_captured_claude_code_exports_count_once_in_the_marts(
    live: LiveServer, db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    # The same request reaches Stereos as a span, a log event and metrics,
    # and the Edit tool's change as a span diff and a lines_of_code metric.
    tenant = make_tenant(db)
    send_fixtures(live, tenant.token)
    send_fixtures(live, tenant.token)  # a retried export
    published = tmp_path / "marts" / "stereos.duckdb"
    with psycopg.connect(db_url) as conn:
        refresh(conn, Lake.at(str(tmp_path / "lake")), published)

    con = marts.read_only(published)
    try:
        daily = con.execute(
            "SELECT spans, llm_calls, tool_calls, input_tokens, output_tokens, "
            "round(cost_usd, 6), lines_added, lines_removed FROM customer_daily"
        ).fetchall()
    finally:
        con.close()
    assert daily == [(3, 1, 1, 1200, 300, 0.0081, 2, 1)]
