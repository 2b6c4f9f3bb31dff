"""One span in full, and the code change a tool span made."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db
from api.public_ids import RowKey
from api.schemas.errors import COMMON
from api.schemas.traces import (
    FileChangePublic,
    HunkPublic,
    SpanDetail,
    SpanDiff,
)
from api.span_views import PayloadIds, Scope, SpanIds, span_body
from ingest import code_changes, diffs
from warehouse import traces
from warehouse.errors import NotFound

router = APIRouter(prefix="/v1/spans", tags=["traces"], responses=COMMON)

# Raw diff lines per page: a browser shows this much without strain.
DIFF_PAGE_LINES = 5000


async def _span(conn: Db, scope: Scope, ids: SpanIds, span_id: str) -> traces.FullSpan:
    key = ids.decode(span_id)
    span = None
    if key is not None:
        span = await traces.one_span(
            conn, scope=scope, received_at=key.received_at, seq=key.seq,
            ordinal=key.ordinal,
        )  # fmt: skip
    if span is None:
        raise NotFound(f"no span {span_id!r} in your scope")
    return span


@router.get("/{span_id}")
async def get_span(
    span_id: str, scope: Scope, conn: Db, ids: SpanIds, payloads: PayloadIds
) -> SpanDetail:
    """One span with its resource, events, links and the request it came in."""
    span = await _span(conn, scope, ids, span_id)
    # TODO: no route serves a payload by this id yet; one that does must check
    # the caller's scope as /v1/spans does.
    payload = payloads.encode(RowKey(span.received_at, span.seq, 0))
    return SpanDetail(
        **span_body(span, ids, orphan=False),
        resource=span.resource,
        events=span.events or [],
        links=span.links or [],
        payload_id=payload,
    )


@router.get("/{span_id}/diff")
async def get_span_diff(
    span_id: str,
    scope: Scope,
    conn: Db,
    ids: SpanIds,
    file: Annotated[int, Query(ge=0, description="First file of the page.")] = 0,
    lines: Annotated[
        int, Query(ge=1, le=DIFF_PAGE_LINES, description="Raw lines per page.")
    ] = DIFF_PAGE_LINES,
) -> SpanDiff:
    """The code change a tool span made: files, hunks, counts and the raw text.

    Long diffs come in pages of whole files (`cut` and `next_file`); text that
    is not a readable diff comes raw, with `warnings`.
    """
    span = await _span(conn, scope, ids, span_id)
    change = code_changes.find_change(span.diff, span.attributes)
    if change is None:
        raise NotFound(f"span {span_id!r} made no code change that Stereos can see")
    parsed = change.parsed
    shown = diffs.page(parsed, change.text, start=file, max_lines=lines)
    return SpanDiff(
        span_id=span_id,
        source=change.source,
        added=parsed.added,
        removed=parsed.removed,
        file_count=len(parsed.files),
        files=[_file(f) for f in shown.files],
        raw=shown.raw,
        warnings=parsed.warnings,
        cut=shown.cut,
        next_file=shown.next_file,
    )


def _file(file: diffs.FileDiff) -> FileChangePublic:
    return FileChangePublic(
        old_path=file.old_path,
        new_path=file.new_path,
        status=file.status,
        binary=file.binary,
        renamed=file.renamed,
        added=file.added,
        removed=file.removed,
        hunks=[HunkPublic.model_validate(h, from_attributes=True) for h in file.hunks],
    )
