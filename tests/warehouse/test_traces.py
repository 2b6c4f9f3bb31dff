"""The trace list's order and pages over traces that overlap in time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg

from tests.factories import Tenant, make_tenant
from warehouse import traces
from warehouse.span_scope import SpanScope

BASE = datetime(2025, 3, 1, tzinfo=UTC)
INSERT = """
INSERT INTO spans (seq, ordinal, received_at, customer_id, team_id, user_id,
    attributed, trace_id, span_id, parent_span_id, name, kind, status_code,
    start_time, start_unix_nano, end_unix_nano, span_class, model, attributes,
    resource)
SELECT %(seq)s, o, %(at)s, %(customer)s, %(team)s, %(user)s, true, %(trace)s,
       %(trace)s || '-' || o, NULL, %(name)s, 1, 0,
       %(at)s + o * %(step)s * interval '1 second',
       (extract(epoch FROM %(at)s) * 1e9)::bigint + o * %(step)s * 1000000000::bigint,
       (extract(epoch FROM %(at)s) * 1e9)::bigint + o * %(step)s * 1000000000::bigint
           + 1,
       'other', %(model)s, '{}', '{}'
FROM generate_series(0, %(count)s - 1) AS o
"""


def _trace(
    db: psycopg.Connection, tenant: Tenant, seq: int, name: str, *, start_s: int,
    count: int = 1, step_s: int = 2, model: str | None = None,
) -> None:  # fmt: skip
    db.execute(INSERT, {
        "seq": seq, "at": BASE + timedelta(seconds=start_s), "customer":
        tenant.customer_id, "team": tenant.team_id, "user": tenant.user_id,
        "trace": name, "name": name, "count": count, "step": step_s, "model": model,
    })  # fmt: skip


def _walk(url: str, tenant: Tenant, limit: int, **options: object) -> list[list[str]]:
    scope = SpanScope(tenant.customer_id, tenant.user_id, everyone=True)
    filters = traces.TraceFilters(
        **options.pop("filters", {})  # type: ignore[arg-type]
    )

    async def run() -> list[list[str]]:
        pages, after = [], None
        async with await psycopg.AsyncConnection.connect(url) as conn:
            while True:
                page = await traces.recent_traces(
                    conn, scope=scope, filters=filters, after=after, limit=limit,
                    **options,  # type: ignore[arg-type]
                )  # fmt: skip
                pages.append([t.trace_id for t in page.traces])
                if page.next_after is None:
                    return pages
                after = page.next_after

    return asyncio.run(run())


def test_a_long_trace_comes_after_the_short_ones_that_started_later(
    db: psycopg.Connection, db_url: str
) -> None:
    tenant = make_tenant(db)
    db.execute("SELECT stereos_ensure_partitions(%s, 1)", (BASE,))
    # 500 spans from t=0 to t=998: the scan meets it long before its start.
    _trace(db, tenant, 1, "long", start_s=0, count=500)
    for n in range(1, 31):
        _trace(db, tenant, 1 + n, f"s{n:02}", start_s=n * 10)

    pages = _walk(db_url, tenant, limit=7)

    order = [trace for page in pages for trace in page]
    assert order == [f"s{n:02}" for n in range(30, 0, -1)] + ["long"]
    assert [len(page) for page in pages] == [7, 7, 7, 7, 3]


def test_filters_order_by_the_first_matching_span(
    db: psycopg.Connection, db_url: str
) -> None:
    tenant = make_tenant(db)
    db.execute("SELECT stereos_ensure_partitions(%s, 1)", (BASE,))
    _trace(db, tenant, 1, "a", start_s=0, count=1, model="m")
    _trace(db, tenant, 2, "b", start_s=5, count=1, model="other")
    _trace(db, tenant, 3, "c", start_s=9, count=1, model="m")

    pages = _walk(db_url, tenant, limit=1, filters={"model": "m"})

    assert pages == [["c"], ["a"]]


def test_a_scan_cut_short_resumes_below_its_floor(
    db: psycopg.Connection, db_url: str
) -> None:
    tenant = make_tenant(db)
    db.execute("SELECT stereos_ensure_partitions(%s, 1)", (BASE,))
    for n in range(40):
        _trace(db, tenant, 1 + n, f"t{n:02}", start_s=n * 10, count=5, step_s=1)

    pages = _walk(db_url, tenant, limit=10, max_scan=12)

    assert [t for page in pages for t in page] == [
        f"t{n:02}" for n in range(39, -1, -1)
    ]
    assert all(len(page) <= 10 for page in pages)
