"""Traces: the recent ones in your scope, and one trace's span tree."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db
from api.errors import InvalidRequest
from api.schemas.errors import COMMON
from api.schemas.traces import TracePage, TraceRow, TraceTree
from api.span_views import Scope, SpanIds, decode_cursor, encode_cursor, span_tree
from warehouse import traces
from warehouse.errors import NotFound

router = APIRouter(prefix="/v1/traces", tags=["traces"], responses=COMMON)

Limit = Annotated[int, Query(ge=1, le=200, description="Traces per page.")]


@router.get("")
async def list_traces(
    scope: Scope,
    conn: Db,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    model: str | None = None,
    vendor: str | None = None,
    tool: str | None = None,
    service: str | None = None,
    session: str | None = None,
    has_diff: bool | None = None,
    has_error: bool | None = None,
    start_from: Annotated[datetime | None, Query(alias="from")] = None,
    start_to: Annotated[datetime | None, Query(alias="to")] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> TracePage:
    """Recent traces you may see, newest first; filters match any of a trace's spans.

    With filters, traces are ordered by their first matching span. Follow
    `next_cursor` until it is null.
    """
    filters = traces.TraceFilters(
        user_id=user_id, team_id=team_id, model=model, vendor=vendor, tool=tool,
        service=service, session=session, has_diff=has_diff, has_error=has_error,
        start_from=_aware(start_from, "from"), start_to=_aware(start_to, "to"),
    )  # fmt: skip
    after = None
    if cursor is not None:
        moment, trace_id = decode_cursor(cursor, (datetime, str))
        after = (moment, trace_id)
    page = await traces.recent_traces(
        conn, scope=scope, filters=filters, after=after, limit=limit
    )
    next_cursor = encode_cursor(*page.next_after) if page.next_after else None
    return TracePage(items=[_row(t) for t in page.traces], next_cursor=next_cursor)


@router.get("/{trace_id}")
async def get_trace(trace_id: str, scope: Scope, conn: Db, ids: SpanIds) -> TraceTree:
    """Every span of one trace you may see, as a tree in depth-first order."""
    spans = await traces.trace_spans(conn, scope=scope, trace_id=trace_id)
    if not spans:
        raise NotFound(f"no trace {trace_id!r} in your scope")
    return TraceTree(
        trace_id=trace_id, span_count=len(spans), spans=span_tree(spans, ids)
    )


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidRequest(f"{name}: give a time zone, e.g. 2025-01-31T00:00:00Z")
    return moment


def _row(trace: traces.TraceSummary) -> TraceRow:
    return TraceRow(
        trace_id=trace.trace_id,
        root_span_name=trace.root_name,
        start_time=trace.start_time,
        duration_ms=float(trace.duration_ms),
        span_count=trace.span_count,
        user_id=trace.user_id,
        team_id=trace.team_id,
        input_tokens=trace.input_tokens,
        output_tokens=trace.output_tokens,
        total_tokens=trace.input_tokens + trace.output_tokens,
        cost_usd=trace.cost_usd,
        error_count=trace.error_count,
        diff_count=trace.diff_count,
    )
