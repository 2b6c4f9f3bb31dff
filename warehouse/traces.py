"""Reading traces from the span log: recent traces, one trace's spans, one span.

Every read counts each (customer, trace id, span id) once, the first copy
winning, like the spans_deduped view. Reads of whole traces keep the first
copy with DISTINCT ON over the trace's rows, which they fetch anyway, rather
than probing every partition for an earlier copy of each span. The scope is
applied after that choice, as it is to the view. Callers see only the spans
their SpanScope allows.

The trace list is ordered by each trace's first matching span, newest first
(with no filter, that is the trace's start). It is found without grouping the
whole log: spans are scanned newest first by start time, their traces
summarised, and a trace is known to be in its place once the scan has passed
below its first matching span. The scan widens until a page is certain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from warehouse.span_scope import SpanScope

FIRST_COPY = """NOT EXISTS (
    SELECT 1 FROM spans e
    WHERE e.customer_id = s.customer_id AND e.trace_id = s.trace_id
      AND e.span_id = s.span_id AND (e.seq, e.ordinal) < (s.seq, s.ordinal)
)"""

RECENT_SPANS = """
SELECT s.trace_id, s.start_time FROM spans s
WHERE {scope} AND {filters} AND {upper}
ORDER BY s.start_time DESC
LIMIT %(scan)s
"""

# An LLM span is a call unless its parent is an LLM span too (see llm_calls):
# tokens and cost are summed over calls only, so a wrapper is not counted twice.
TRACE_SUMMARIES = """
WITH copies AS (
    SELECT DISTINCT ON (s.trace_id, s.span_id)
           s.trace_id, s.span_id, s.parent_span_id, s.span_class, s.name,
           s.start_time, s.start_unix_nano, s.end_unix_nano, s.user_id, s.team_id,
           s.input_tokens, s.output_tokens, s.cost_usd, s.status_code, s.diff,
           s.model, s.vendor, s.tool_name, s.service_name, s.session_id,
           {scope} AS visible
    FROM spans s
    WHERE s.customer_id = %(customer_id)s AND s.trace_id = ANY(%(trace_ids)s)
    ORDER BY s.trace_id, s.span_id, s.seq, s.ordinal
), t AS (
    SELECT * FROM copies WHERE visible
), c AS (
    SELECT t.*, t.span_class = 'llm' AND NOT EXISTS (
        SELECT 1 FROM t p
        WHERE p.trace_id = t.trace_id AND p.span_id = t.parent_span_id
          AND p.span_class = 'llm'
    ) AS is_call
    FROM t
)
SELECT s.trace_id,
       min(s.start_time) FILTER (WHERE {filters}) AS match_start,
       min(s.start_time) AS start_time,
       (max(s.end_unix_nano) - min(s.start_unix_nano)) / 1e6 AS duration_ms,
       count(*) AS span_count,
       (array_agg(s.name ORDER BY s.parent_span_id IS NOT NULL,
                  s.start_unix_nano))[1] AS root_name,
       (array_agg(s.user_id ORDER BY s.start_unix_nano)
            FILTER (WHERE s.user_id IS NOT NULL))[1] AS user_id,
       (array_agg(s.team_id ORDER BY s.start_unix_nano)
            FILTER (WHERE s.team_id IS NOT NULL))[1] AS team_id,
       coalesce(sum(s.input_tokens) FILTER (WHERE s.is_call), 0) AS input_tokens,
       coalesce(sum(s.output_tokens) FILTER (WHERE s.is_call), 0) AS output_tokens,
       sum(s.cost_usd) FILTER (WHERE s.is_call) AS cost_usd,
       count(*) FILTER (WHERE s.status_code = 2) AS error_count,
       count(*) FILTER (WHERE s.diff IS NOT NULL) AS diff_count
FROM c s
GROUP BY s.trace_id
"""

SPAN_COLUMNS = """
s.received_at, s.seq, s.ordinal, s.trace_id, s.span_id, s.parent_span_id, s.name,
s.kind, s.status_code, s.status_message, s.start_time, s.start_unix_nano,
s.end_unix_nano, s.service_name, s.scope_name, s.span_class, s.operation,
s.vendor, s.model, s.input_tokens, s.output_tokens, s.cached_tokens,
s.cache_creation_tokens, s.cost_usd, s.cost_source, s.session_id, s.tool_name,
s.response_id, s.diff IS NOT NULL AS has_diff, s.user_id, s.team_id,
s.user_ref, s.attributes
"""

TRACE_SPANS = """
SELECT {fields} FROM (
    SELECT DISTINCT ON (s.span_id) {columns}, {scope} AS visible
    FROM spans s
    WHERE s.customer_id = %(customer_id)s AND s.trace_id = %(trace_id)s
    ORDER BY s.span_id, s.seq, s.ordinal
) first_copies
WHERE visible
ORDER BY start_unix_nano, seq, ordinal
"""

ONE_SPAN = """
SELECT {columns}, s.resource, s.events, s.links, s.diff FROM spans s
WHERE {scope} AND s.received_at = %(received_at)s AND s.seq = %(seq)s
  AND s.ordinal = %(ordinal)s
"""

# These reads touch hundreds of rows through indexes: starting parallel workers
# or compiling with JIT (the estimates over many partitions can cross its
# threshold) costs more than the query itself.
SMALL_READS = "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off"

# Spans scanned for one page at most; past it a page may come short.
MAX_SCAN = 100_000
FIRST_SCAN = 400
# Extra traces summarised per round, for those found to start below the floor.
CONFIRM_MARGIN = 8
# Sorts after every trace id: a cursor at a scan floor keeps the floor's traces.
RESUME_ID = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class TraceFilters:
    """Span-level filters: a trace is listed when one of its spans matches all."""

    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    model: str | None = None
    vendor: str | None = None
    tool: str | None = None
    service: str | None = None
    session: str | None = None
    has_diff: bool | None = None
    has_error: bool | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_id: str
    match_start: datetime | None
    start_time: datetime
    duration_ms: float
    span_count: int
    root_name: str
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    error_count: int
    diff_count: int


@dataclass(frozen=True, slots=True)
class TracePage:
    traces: list[TraceSummary]
    # (first matching span's start, trace id) of the last trace, when more follow.
    next_after: tuple[datetime, str] | None


@dataclass(frozen=True, slots=True)
class SpanRow:
    received_at: datetime
    seq: int
    ordinal: int
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    status_code: int
    status_message: str | None
    start_time: datetime
    start_unix_nano: int
    end_unix_nano: int
    service_name: str | None
    scope_name: str | None
    span_class: str
    operation: str | None
    vendor: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    cache_creation_tokens: int | None
    cost_usd: float | None
    cost_source: str | None
    session_id: str | None
    tool_name: str | None
    response_id: str | None
    has_diff: bool
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    user_ref: str | None
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FullSpan(SpanRow):
    resource: dict[str, Any] = field(default_factory=dict)
    events: list[Any] | None = None
    links: list[Any] | None = None
    diff: str | None = None


def filter_condition(filters: TraceFilters) -> sql.Composable:
    """The span-level filters as one SQL condition on alias `s` (TRUE if none)."""
    equal = {
        "user_id": filters.user_id,
        "team_id": filters.team_id,
        "model": filters.model,
        "vendor": filters.vendor,
        "tool_name": filters.tool,
        "service_name": filters.service,
        "session_id": filters.session,
    }
    parts: list[sql.Composable] = [
        sql.SQL("s.{} = {}").format(sql.Identifier(column), sql.Literal(value))
        for column, value in equal.items()
        if value is not None
    ]
    if filters.has_diff:
        parts.append(sql.SQL("s.diff IS NOT NULL"))
    if filters.has_error:
        parts.append(sql.SQL("s.status_code = 2"))
    if filters.start_from is not None:
        parts.append(
            sql.SQL("s.start_time >= {}").format(sql.Literal(filters.start_from))
        )
    if filters.start_to is not None:
        parts.append(sql.SQL("s.start_time < {}").format(sql.Literal(filters.start_to)))
    return sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")


async def recent_traces(
    conn: psycopg.AsyncConnection,
    *,
    scope: SpanScope,
    filters: TraceFilters,
    after: tuple[datetime, str] | None,
    limit: int,
    max_scan: int = MAX_SCAN,
) -> TracePage:
    """One page of traces, newest first, after the `after` position if given.

    A page may be short when a filter matches little: follow `next_after`.
    """
    await conn.execute(SMALL_READS)
    condition = filter_condition(filters)
    scan = min(max(FIRST_SCAN, limit * 16), max_scan)
    while True:
        rows = await _recent_spans(conn, scope, condition, after, scan)
        exhausted = len(rows) < scan
        floor = None if exhausted else rows[-1][1]
        candidates = _candidates(rows, after, floor)
        placed = await _confirm(conn, scope, condition, filters, candidates, limit + 1)
        if len(placed) > limit or exhausted:
            last = placed[limit - 1] if len(placed) > limit else None
            return TracePage(placed[:limit], _position(last))
        if scan >= max_scan and floor is not None:
            # Every trace above the floor is placed; the next page resumes there.
            return TracePage(placed, (floor, RESUME_ID))
        scan = min(scan * 4, max_scan)


def _position(trace: TraceSummary | None) -> tuple[datetime, str] | None:
    if trace is None or trace.match_start is None:
        return None
    return (trace.match_start, trace.trace_id)


def _candidates(
    rows: list[tuple[str, datetime]],
    after: tuple[datetime, str] | None,
    floor: datetime | None,
) -> list[tuple[datetime, str]]:
    """(earliest scanned start, trace id) of traces that may be above the floor.

    A trace's earliest matching span is its earliest scanned one unless it has
    one below the floor, which _confirm checks. At the floor itself the scan
    may have stopped among equal start times, so the floor is excluded.
    """
    seen: dict[str, datetime] = {}
    for trace_id, start in rows:
        seen[trace_id] = start  # rows come newest first: the last one is earliest
    out = [
        (start, trace_id)
        for trace_id, start in seen.items()
        if (floor is None or start > floor)
        and (after is None or (start, trace_id) < after)
    ]
    out.sort(reverse=True)
    return out


async def _confirm(
    conn: psycopg.AsyncConnection,
    scope: SpanScope,
    condition: sql.Composable,
    filters: TraceFilters,
    candidates: list[tuple[datetime, str]],
    wanted: int,
) -> list[TraceSummary]:
    """Summaries of the first `wanted` candidates that really start where seen."""
    placed: list[TraceSummary] = []
    at = 0
    while len(placed) < wanted and at < len(candidates):
        batch = candidates[at : at + wanted - len(placed) + CONFIRM_MARGIN]
        at += len(batch)
        found = {
            t.trace_id: t
            for t in await _summaries(conn, scope, condition, {c[1] for c in batch})
        }
        for start, trace_id in batch:
            trace = found.get(trace_id)
            if (
                trace is not None
                and trace.match_start == start
                and _kept(trace, filters)
            ):
                placed.append(trace)
    return placed[:wanted]


def _kept(trace: TraceSummary, filters: TraceFilters) -> bool:
    """The trace-level filters: "has no diff" and "has no error"."""
    if filters.has_diff is False and trace.diff_count:
        return False
    return not (filters.has_error is False and trace.error_count)


async def _recent_spans(
    conn: psycopg.AsyncConnection,
    scope: SpanScope,
    condition: sql.Composable,
    after: tuple[datetime, str] | None,
    scan: int,
) -> list[tuple[str, datetime]]:
    # Inclusive: traces starting at the cursor's time may follow its trace.
    upper: sql.Composable = sql.SQL("TRUE")
    if after is not None:
        upper = sql.SQL("s.start_time <= {}").format(sql.Literal(after[0]))
    query = sql.SQL(RECENT_SPANS).format(
        scope=scope.condition(), filters=condition, upper=upper
    )
    cur = await conn.execute(query, {"scan": scan})
    return [(row[0], row[1]) for row in await cur.fetchall()]


async def _summaries(
    conn: psycopg.AsyncConnection,
    scope: SpanScope,
    condition: sql.Composable,
    trace_ids: set[str],
) -> list[TraceSummary]:
    if not trace_ids:
        return []
    query = sql.SQL(TRACE_SUMMARIES).format(scope=scope.condition(), filters=condition)
    params = {"customer_id": scope.customer_id, "trace_ids": sorted(trace_ids)}
    async with conn.cursor(row_factory=class_row(TraceSummary)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def trace_spans(
    conn: psycopg.AsyncConnection, *, scope: SpanScope, trace_id: str
) -> list[SpanRow]:
    """The trace's spans the caller may see, first copies only, by start time."""
    query = sql.SQL(TRACE_SPANS).format(
        fields=sql.SQL(", ").join(sql.Identifier(f.name) for f in fields(SpanRow)),
        columns=sql.SQL(SPAN_COLUMNS),
        scope=scope.condition(),
    )
    params = {"customer_id": scope.customer_id, "trace_id": trace_id}
    await conn.execute(SMALL_READS)
    async with conn.cursor(row_factory=class_row(SpanRow)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def one_span(
    conn: psycopg.AsyncConnection,
    *,
    scope: SpanScope,
    received_at: datetime,
    seq: int,
    ordinal: int,
) -> FullSpan | None:
    """The span stored at (received_at, seq, ordinal), if the caller may see it."""
    query = sql.SQL(ONE_SPAN).format(
        columns=sql.SQL(SPAN_COLUMNS), scope=scope.condition()
    )
    params = {"received_at": received_at, "seq": seq, "ordinal": ordinal}
    async with conn.cursor(row_factory=class_row(FullSpan)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()
