"""Code changes made by tool spans in your scope, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db
from api.errors import InvalidRequest
from api.public_ids import PublicIds, RowKey
from api.schemas.errors import COMMON
from api.schemas.traces import DiffPage, DiffRow
from api.span_views import Scope, SpanIds, decode_cursor, encode_cursor
from ingest.code_changes import CANDIDATE_KEYS, CodeChange, find_change
from warehouse import span_changes
from warehouse.span_changes import ChangeSpan

router = APIRouter(prefix="/v1/diffs", tags=["traces"], responses=COMMON)

Limit = Annotated[int, Query(ge=1, le=200, description="Changes per page.")]
# Candidate spans read per page at most: a path filter that matches little
# answers a short page with a cursor rather than reading the whole log.
MAX_CANDIDATES = 2000


@router.get("")
async def list_diffs(
    scope: Scope,
    conn: Db,
    ids: SpanIds,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    path: Annotated[
        str | None, Query(description="Only changes touching a file under this prefix.")
    ] = None,
    start_from: Annotated[datetime | None, Query(alias="from")] = None,
    start_to: Annotated[datetime | None, Query(alias="to")] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> DiffPage:
    """Changes you may see: span, user, tool, files, lines added and removed.

    A page may hold fewer than `limit` changes; follow `next_cursor` until null.
    """
    for name, moment in (("from", start_from), ("to", start_to)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidRequest(f"{name}: give a time zone, e.g. 2025-01-31T00:00:00Z")
    filters = span_changes.ChangeFilters(user_id, team_id, start_from, start_to)
    after = decode_cursor(cursor, (datetime, int, int)) if cursor else None
    items: list[DiffRow] = []
    read = 0
    while read < MAX_CANDIDATES:
        batch = await span_changes.change_spans(
            conn, scope=scope, filters=filters, keys=CANDIDATE_KEYS,
            after=after, limit=limit,
        )  # fmt: skip
        read += len(batch)
        for n, span in enumerate(batch, 1):
            after = span.position
            row = _row(span, ids, path)
            if row is not None:
                items.append(row)
            if len(items) == limit:
                last = n == len(batch) and len(batch) < limit
                return _page(items, None if last else after)
        if len(batch) < limit:
            return _page(items, None)
    return _page(items, after)


def _page(items: list[DiffRow], after: tuple[datetime, int, int] | None) -> DiffPage:
    return DiffPage(items=items, next_cursor=encode_cursor(*after) if after else None)


def _row(span: ChangeSpan, ids: PublicIds, prefix: str | None) -> DiffRow | None:
    change: CodeChange | None = find_change(span.diff, span.attributes or {})
    if change is None:
        return None
    paths = [f.path for f in change.parsed.files]
    if prefix is not None and not any(p.startswith(prefix) for p in paths):
        return None
    return DiffRow(
        span_id=ids.encode(RowKey(span.received_at, span.seq, span.ordinal)),
        trace_id=span.trace_id,
        start_time=span.start_time,
        user_id=span.user_id,
        team_id=span.team_id,
        tool_name=span.tool_name,
        source=change.source,
        files=paths,
        added=change.parsed.added,
        removed=change.parsed.removed,
    )
