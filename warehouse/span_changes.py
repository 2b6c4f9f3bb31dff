"""Reading the spans that may carry a code change, newest first.

Which spans really made a change is decided by ingest.code_changes on what
this returns: a span with a `diff`, or a tool span carrying one of the
attribute keys the caller names.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from warehouse.span_scope import SpanScope
from warehouse.traces import FIRST_COPY

# The first condition is spans_changes' predicate, repeated word for word so
# that the planner may use that partial index.
CHANGE_SPANS = """
SELECT s.received_at, s.seq, s.ordinal, s.trace_id, s.span_id, s.start_time,
       s.user_id, s.team_id, s.tool_name, s.name, s.diff,
       CASE WHEN s.diff IS NULL THEN s.attributes END AS attributes
FROM spans s
WHERE (s.span_class = 'tool' OR s.diff IS NOT NULL)
  AND (s.diff IS NOT NULL OR s.attributes::jsonb ?| %(keys)s)
  AND {scope} AND {filters} AND {position} AND {first_copy}
ORDER BY s.start_time DESC, s.seq DESC, s.ordinal DESC
LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class ChangeFilters:
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    start_from: datetime | None = None
    start_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeSpan:
    received_at: datetime
    seq: int
    ordinal: int
    trace_id: str
    span_id: str
    start_time: datetime
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    tool_name: str | None
    name: str
    diff: str | None
    attributes: dict[str, Any] | None

    @property
    def position(self) -> tuple[datetime, int, int]:
        return (self.start_time, self.seq, self.ordinal)


def _filters(filters: ChangeFilters) -> sql.Composable:
    parts: list[sql.Composable] = [sql.SQL("TRUE")]
    if filters.user_id is not None:
        parts.append(sql.SQL("s.user_id = {}").format(sql.Literal(filters.user_id)))
    if filters.team_id is not None:
        parts.append(sql.SQL("s.team_id = {}").format(sql.Literal(filters.team_id)))
    if filters.start_from is not None:
        parts.append(
            sql.SQL("s.start_time >= {}").format(sql.Literal(filters.start_from))
        )
    if filters.start_to is not None:
        parts.append(sql.SQL("s.start_time < {}").format(sql.Literal(filters.start_to)))
    return sql.SQL(" AND ").join(parts)


async def change_spans(
    conn: psycopg.AsyncConnection,
    *,
    scope: SpanScope,
    filters: ChangeFilters,
    keys: Sequence[str],
    after: tuple[datetime, int, int] | None,
    limit: int,
) -> list[ChangeSpan]:
    """Up to `limit` candidate spans older than `after`, newest first."""
    position: sql.Composable = sql.SQL("TRUE")
    if after is not None:
        position = sql.SQL("(s.start_time, s.seq, s.ordinal) < ({}, {}, {})").format(
            *(sql.Literal(value) for value in after)
        )
    query = sql.SQL(CHANGE_SPANS).format(
        scope=scope.condition(), filters=_filters(filters), position=position,
        first_copy=sql.SQL(FIRST_COPY),
    )  # fmt: skip
    async with conn.cursor(row_factory=class_row(ChangeSpan)) as cur:
        await cur.execute(query, {"keys": list(keys), "limit": limit})
        return await cur.fetchall()
