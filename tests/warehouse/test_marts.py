"""The marts equal a direct SQL computation over the raw log, run after run."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from genai_prices import Usage, calc_price

from tests.factories import make_tenant, make_user
from tests.fix_log import Point, Record, Sender, Span, days_ago, write
from warehouse import marts, pricing
from warehouse.errors import MartsNotBuilt
from warehouse.lake import Lake
from warehouse.refresh import refresh

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n-old\n+new\n+more\n ctx\n"

# Per customer and day, straight from the log's deduplicated views.
DIRECT = """
WITH spans AS (
    SELECT customer_id::text AS customer_id, (start_time AT TIME ZONE 'UTC')::date
           AS day, count(*) AS spans,
           count(*) FILTER (WHERE span_class = 'tool') AS tool_calls,
           count(*) FILTER (WHERE status_code = 2) AS errors
    FROM spans_deduped GROUP BY 1, 2
), calls AS (
    SELECT customer_id::text AS customer_id, (start_time AT TIME ZONE 'UTC')::date
           AS day, count(*) AS llm_calls, sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens,
           coalesce(sum(cost_usd) FILTER (WHERE cost_source = 'sent'), 0) AS sent
    FROM llm_calls GROUP BY 1, 2
)
SELECT customer_id, day, s.spans, coalesce(c.llm_calls, 0), s.tool_calls,
       s.errors, coalesce(c.input_tokens, 0), coalesce(c.output_tokens, 0),
       round(coalesce(c.sent, 0)::numeric, 9)
FROM spans s LEFT JOIN calls c USING (customer_id, day)
ORDER BY 1, 2
"""
MARTS = """
SELECT customer_id, day, spans, llm_calls, tool_calls, errors, input_tokens,
       output_tokens, round(cost_sent_usd, 9)
FROM customer_daily ORDER BY 1, 2
"""
PER_USER_DIRECT = """
SELECT user_id::text, count(*) FROM llm_calls GROUP BY 1 ORDER BY 1 NULLS FIRST
"""
PER_USER_MARTS = """
SELECT user_id, sum(llm_calls) FROM daily_user_usage
GROUP BY 1 HAVING sum(llm_calls) > 0 ORDER BY 1 NULLS FIRST
"""


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Lake, Path]:
    return Lake.at(str(tmp_path / "lake")), tmp_path / "marts" / "stereos.duckdb"


def _query(published: Path, query: str) -> list[tuple[Any, ...]]:
    con = marts.read_only(published)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _direct(db: psycopg.Connection, query: str) -> list[tuple[Any, ...]]:
    rows = db.execute(query).fetchall()
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in rows]


def _refresh(url: str, lake: Lake, published: Path, *, full: bool = False) -> None:
    with psycopg.connect(url) as conn:
        refresh(conn, lake, published, full=full)


def _traffic(db: psycopg.Connection, url: str) -> tuple[Sender, Sender]:
    acme, globex = make_tenant(db, "Acme"), make_tenant(db, "Globex")
    ada = Sender(acme.customer_id, acme.team_id, acme.user_id)
    bob_id = make_user(db, acme, email="bob@acme.test")
    bob = Sender(acme.customer_id, acme.team_id, bob_id)
    nobody = Sender(acme.customer_id, acme.team_id, None)
    other = Sender(globex.customer_id, globex.team_id, globex.user_id)
    write(url, ada, [
        Span("t1", "a1", days_ago(2), cost_usd=0.25),
        Span("t1", "a2", days_ago(2), parent="a1"),  # wraps a1's call: not a call
        Span("t1", "a3", days_ago(2), span_class="tool", tool_name="edit", diff=DIFF),
        Span("t1", "a4", days_ago(2), span_class="other", status=2),
    ])  # fmt: skip
    write(url, ada, [Span("t1", "a1", days_ago(2), cost_usd=0.25)])  # a retry
    write(url, bob, [
        Span("t2", "b1", days_ago(1), response_id="r1", model="claude-sonnet-4-5",
             vendor="anthropic", cached_tokens=400, cache_creation_tokens=100),
        Span("t3", "b2", days_ago(1), response_id="r1"),  # same call again
    ])  # fmt: skip
    write(url, nobody, [Span("t4", "n1", days_ago(1), model="mystery-model")])
    write(url, other, [Span("t1", "a1", days_ago(2), cost_usd=1.0)])  # same ids
    return ada, other


def test_marts_equal_the_log_with_duplicates_late_spans_and_tenants(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    ada, other = _traffic(db, db_url)
    _refresh(db_url, lake, published)

    # Late: a span for an old day, a duplicate of an old span, a late parent.
    write(db_url, ada, [Span("t5", "l1", days_ago(20), output_tokens=7)])
    write(db_url, other, [Span("t1", "a1", days_ago(2), cost_usd=1.0)])
    write(db_url, ada, [Span("t2", "p0", days_ago(1), model="x")])
    _refresh(db_url, lake, published)

    assert _query(published, MARTS) == _direct(db, DIRECT)
    assert _query(published, PER_USER_MARTS) == _direct(db, PER_USER_DIRECT)
    lines = _query(published, "SELECT sum(lines_added), sum(lines_removed) FROM "
                   "customer_daily")  # fmt: skip
    assert lines == [(2, 1)]


def test_unknown_models_stay_uncosted_and_known_ones_are_priced(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    _traffic(db, db_url)
    _refresh(db_url, lake, published)

    rows = _query(published, "SELECT model, sum(cost_computed_usd), "
                  "sum(uncosted_calls), max(price_version) FROM daily_tool_usage "
                  "WHERE llm_calls > 0 GROUP BY model ORDER BY model")  # fmt: skip
    by_model = {model: (cost, uncosted, version) for model, cost, uncosted, version
                in rows}  # fmt: skip
    expected = calc_price(
        Usage(input_tokens=1000, cache_read_tokens=400, cache_write_tokens=100,
              output_tokens=100),
        "claude-sonnet-4-5", provider_id="anthropic",
        genai_request_timestamp=days_ago(1),
    ).total_price  # fmt: skip
    assert by_model["claude-sonnet-4-5"][0] == pytest.approx(float(expected))
    assert by_model["mystery-model"][:2] == (0.0, 1)
    assert by_model["gpt-4o"][1] == 0  # sent cost, no price needed


@pytest.mark.parametrize(
    ("model", "tokens"),
    [("gemini-2.5-pro", 250_000), ("claude-sonnet-4-5", 150_000), ("gpt-4o", 10)],
)
def test_rate_cards_give_the_price_library_figure(model: str, tokens: int) -> None:
    day = date(2025, 9, 1)
    con = duckdb.connect()
    con.execute(Path("warehouse/sql/marts_facts.sql").read_text().split(";")[0] + ";")
    card = pricing.rate_card(None, model, day)
    assert card is not None
    base, tiers = (
        card.input_mtok.base,
        [{"start": s, "price": p} for s, p in card.input_mtok.tiers],
    )
    ours = con.execute("SELECT tiered(?, ?, ?)", [base, tiers, tokens]).fetchone()
    library = calc_price(
        Usage(input_tokens=tokens), model,
        genai_request_timestamp=__import__("datetime").datetime(2025, 9, 1),
    ).total_price  # fmt: skip
    assert ours is not None
    assert ours[0] * tokens / 1e6 == pytest.approx(float(library))


def test_claude_code_usage_counts_once_across_logs_metrics_and_spans(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    acme = make_tenant(db)
    ada = Sender(acme.customer_id, acme.team_id, acme.user_id)
    when = days_ago(1)
    # Session s1: log event and metrics report one request.
    write(db_url, ada, [Record(when, session="s1", cost_usd=0.02)])
    write(db_url, ada, [
        Point(when, point_type="input", value=900, session="s1"),
        Point(when, point_type="output", value=100, session="s1"),
        Point(when, name="claude_code.cost.usage", point_type=None, value=0.02,
              session="s1"),
    ])  # fmt: skip
    # Session s2: only metrics arrived.
    write(db_url, ada, [Point(when, point_type="output", value=5, session="s2")])
    _refresh(db_url, lake, published)

    counted = _query(published, "SELECT llm_calls, output_tokens, "
                     "round(cost_sent_usd, 6) FROM customer_daily")  # fmt: skip
    assert counted == [(1, 105, 0.02)]
    signals = _query(published, "SELECT session_id, signal, counted, output_tokens "
                     "FROM usage_facts ORDER BY 1, 2")  # fmt: skip
    assert signals == [
        ("s1", "log", True, 100),
        ("s1", "metric", False, 100),
        ("s2", "metric", True, 5),
    ]


def test_lines_of_code_count_once_from_the_first_signal_reporting_them(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    acme = make_tenant(db)
    ada = Sender(acme.customer_id, acme.team_id, acme.user_id)
    when = days_ago(1)
    lines = "claude_code.lines_of_code.count"
    # s1: Claude Code without traces: its lines_of_code metric counts.
    write(db_url, ada, [
        Point(when, name=lines, point_type="added", value=12, session="s1"),
        Point(when, name=lines, point_type="removed", value=3, session="s1"),
    ])  # fmt: skip
    # s2: a span's diff (+2 -1) and the metric reporting the same edit: once.
    write(db_url, ada, [Span("t1", "e1", when, span_class="tool", diff=DIFF,
                             session="s2", service="claude-code")])  # fmt: skip
    write(db_url, ada, [
        Point(when, name=lines, point_type="added", value=2, session="s2"),
        Point(when, name=lines, point_type="removed", value=1, session="s2"),
    ])  # fmt: skip
    # s3: Gemini CLI's file_operation: the agent's lines, not the user's.
    stat = {"ai_added_lines": 7, "ai_removed_lines": 2, "user_added_lines": 50}
    write(db_url, ada, [Record(
        when, event="gemini_cli.file_operation", record_class="tool",
        input_tokens=None, output_tokens=None, cost_usd=None, session="s3",
        service="gemini-cli", attributes={"diff_stat": json.dumps(stat)},
    )])  # fmt: skip
    _refresh(db_url, lake, published)

    daily = "SELECT lines_added, lines_removed FROM customer_daily"
    assert _query(published, daily) == [(12 + 2 + 7, 3 + 1 + 2)]
    per_tool = _query(published, "SELECT tool, sum(lines_added), sum(lines_removed) "
                      "FROM daily_tool_usage GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert per_tool == [("claude-code", 14, 4), ("gemini-cli", 7, 2)]
    # Every signal's own figure stays in usage_facts.
    facts = _query(published, "SELECT session_id, signal, lines_added, "
                   "lines_removed FROM usage_facts ORDER BY 1, 2")  # fmt: skip
    assert facts == [
        ("s1", "metric", 12, 3),
        ("s2", "metric", 2, 1),
        ("s2", "span", 2, 1),
        ("s3", "log", 7, 2),
    ]


def test_running_twice_or_from_scratch_gives_identical_marts(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    ada, _ = _traffic(db, db_url)
    # Received the day it ran, beside the spans of earlier days: a rebuild
    # reads them from different places (see follower.FULL_DAY).
    write(db_url, ada, [Span("t8", "c1", days_ago(0), output_tokens=3)])
    _refresh(db_url, lake, published)
    first = _snapshot(published)

    _refresh(db_url, lake, published)
    assert _snapshot(published) == first

    _refresh(db_url, lake, published, full=True)
    assert _snapshot(published) == first


def test_a_failed_run_leaves_the_previous_marts_and_the_next_converges(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    ada, _ = _traffic(db, db_url)
    _refresh(db_url, lake, published)
    before = _snapshot(published)

    write(db_url, ada, [Span("t9", "z1", days_ago(3))])
    with psycopg.connect(db_url) as conn:
        # A build that never gets published: the run died before the swap.
        marts.build(conn, lake, published)
    assert _snapshot(published) == before

    _refresh(db_url, lake, published)
    assert _snapshot(published) != before
    assert _query(published, MARTS) == _direct(db, DIRECT)


def test_reading_before_any_build_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(MartsNotBuilt, match="stereos backfill"):
        marts.read_only(tmp_path / "none.duckdb")


def test_diff_lines_count_changes_not_headers() -> None:
    con = duckdb.connect()
    con.execute(Path("warehouse/sql/lake_macros.sql").read_text())
    found = con.execute(
        "SELECT diff_lines(?, '+'), diff_lines(?, '-'), diff_lines(NULL, '+')",
        [DIFF, DIFF],
    ).fetchone()
    assert found == (2, 1, 0)


TABLES = ("customer_daily", "daily_user_usage", "daily_team_usage",
          "daily_tool_usage", "billable_usage", "usage_facts")  # fmt: skip


def _snapshot(published: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(_query(published, f"FROM {table}"), key=repr) for table in TABLES
    }


def test_copies_received_months_apart_count_once(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    acme = make_tenant(db)
    ada = Sender(acme.customer_id, acme.team_id, acme.user_id)
    long_ago = days_ago(75)
    write(db_url, ada, [
        Span("t1", "a1", long_ago, cost_usd=0.5),
        Span("t2", "b1", long_ago, response_id="r9", parent="b0"),
    ], received_at=long_ago)  # fmt: skip
    _refresh(db_url, lake, published)

    # Months later, a resend of a1, and t3 reporting b1's call again: still 2.
    write(db_url, ada, [Span("t1", "a1", long_ago, cost_usd=0.5)])
    write(db_url, ada, [Span("t3", "c1", days_ago(1), response_id="r9")])
    _refresh(db_url, lake, published)
    assert _query(published, MARTS) == _direct(db, DIRECT)
    assert _query(published, "SELECT sum(llm_calls) FROM customer_daily") == [(2,)]

    # b1's parent arrives: b1 is nested in b0's call, so t3's c1 is a call.
    write(db_url, ada, [Span("t2", "b0", long_ago)])
    _refresh(db_url, lake, published)
    assert _query(published, MARTS) == _direct(db, DIRECT)
    assert _query(published, "SELECT sum(llm_calls) FROM customer_daily") == [(3,)]


def test_a_lake_made_before_its_directory_gets_one_from_the_log(
    db: psycopg.Connection, db_url: str, stores: tuple[Lake, Path]
) -> None:
    lake, published = stores
    ada, _ = _traffic(db, db_url)
    _refresh(db_url, lake, published)
    for name in ("spans", "responses", "metric_points", "log_records"):
        lake.clear_directory(name)

    write(db_url, ada, [Span("t1", "a1", days_ago(2), cost_usd=0.25)])  # a retry
    _refresh(db_url, lake, published)
    assert _query(published, MARTS) == _direct(db, DIRECT)
    assert lake.directory_files("spans")
