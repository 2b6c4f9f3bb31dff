"""Shared by the trace, span and diff routes: ids, cursors, scope and span bodies."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends

from api.deps import CurrentCaller, Db, State
from api.errors import InvalidRequest
from api.public_ids import PublicIds, RowKey
from api.schemas.traces import SpanPublic
from warehouse.span_scope import SpanScope, span_scope
from warehouse.traces import SpanRow

KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUSES = ("unset", "ok", "error")


def span_ids(state: State) -> PublicIds:
    return PublicIds(state.settings.public_id_secret, "span")


def payload_ids(state: State) -> PublicIds:
    return PublicIds(state.settings.public_id_secret, "payload")


SpanIds = Annotated[PublicIds, Depends(span_ids)]
PayloadIds = Annotated[PublicIds, Depends(payload_ids)]


async def caller_scope(caller: CurrentCaller, conn: Db) -> SpanScope:
    """The spans the caller may read."""
    return await span_scope(conn, caller)


Scope = Annotated[SpanScope, Depends(caller_scope)]


def encode_cursor(*values: object) -> str:
    """An opaque cursor holding a position in a list."""
    text = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """The position a cursor holds, or 422 when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        return tuple(_typed(v, t) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidRequest(
            "cursor: not a cursor from this list; pass next_cursor as given"
        ) from exc


def _typed(value: object, kind: type) -> object:
    if kind is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"expected {kind.__name__}")


def row_key(span: SpanRow) -> RowKey:
    return RowKey(span.received_at, span.seq, span.ordinal)


def span_body(
    span: SpanRow, ids: PublicIds, *, depth: int = 0, orphan: bool = False
) -> dict[str, Any]:
    """The fields every span answer shares."""
    return {
        "id": ids.encode(row_key(span)),
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "depth": depth,
        "orphan": orphan,
        "name": span.name,
        "kind": KINDS[span.kind] if 0 <= span.kind < len(KINDS) else "unspecified",
        "status": STATUSES[span.status_code] if 0 <= span.status_code < 3 else "unset",
        "duration_ms": max(span.end_unix_nano - span.start_unix_nano, 0) / 1e6,
        **{name: getattr(span, name) for name in _COPIED},
    }


_COPIED = (
    "status_message", "start_time", "start_unix_nano", "end_unix_nano",
    "service_name", "scope_name", "span_class", "operation", "vendor", "model",
    "input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens",
    "cost_usd", "cost_source", "session_id", "tool_name", "response_id",
    "has_diff", "user_id", "team_id", "user_ref", "attributes",
)  # fmt: skip


def span_tree(spans: list[SpanRow], ids: PublicIds) -> list[SpanPublic]:
    """Depth first from the roots; a span whose parent is absent is a root.

    Spans only reachable through a cycle of parent ids (bad senders) are shown
    at the root as orphans too, so every span appears exactly once.
    """
    present = {s.span_id for s in spans}
    children: dict[str, list[SpanRow]] = defaultdict(list)
    roots: list[SpanRow] = []
    for span in spans:
        parent = span.parent_span_id
        if parent and parent in present and parent != span.span_id:
            children[parent].append(span)
        else:
            roots.append(span)
    out: list[SpanPublic] = []
    seen: set[str] = set()
    for root in roots:
        _walk(root, children, ids, out, seen)
    for span in spans:
        if span.span_id not in seen:
            _walk(span, children, ids, out, seen)
    return out


def _walk(
    root: SpanRow,
    children: dict[str, list[SpanRow]],
    ids: PublicIds,
    out: list[SpanPublic],
    seen: set[str],
) -> None:
    # An explicit stack: a deep chain of spans must not exhaust Python's stack.
    stack = [(root, 0)]
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        orphan = depth == 0 and span.parent_span_id is not None
        out.append(SpanPublic(**span_body(span, ids, depth=depth, orphan=orphan)))
        for child in reversed(children.get(span.span_id, [])):
            stack.append((child, depth + 1))
