"""Bodies for traces, spans and the code changes tool spans made."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SpanKind = Literal[
    "unspecified", "internal", "server", "client", "producer", "consumer"
]
SpanStatus = Literal["unset", "ok", "error"]
FileStatus = Literal["added", "deleted", "modified", "renamed"]


class TraceRow(BaseModel):
    trace_id: str
    root_span_name: str = Field(
        description="The earliest span without a parent, else the earliest span."
    )
    start_time: datetime
    duration_ms: float
    span_count: int
    user_id: uuid.UUID | None = Field(description="The first attributed span's user.")
    team_id: uuid.UUID | None
    input_tokens: int = Field(description="Over the trace's LLM calls.")
    output_tokens: int
    total_tokens: int
    cost_usd: float | None = Field(description="Cost sent by the senders, if any.")
    error_count: int
    diff_count: int = Field(description="Spans that came with a diff text.")


class TracePage(BaseModel):
    items: list[TraceRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class SpanPublic(BaseModel):
    id: str = Field(description="Opaque span id for /v1/spans/{id}.")
    trace_id: str
    span_id: str
    parent_span_id: str | None
    depth: int = Field(description="0 for roots, and for orphans shown at the root.")
    orphan: bool = Field(description="Its parent span never arrived (or is hidden).")
    name: str
    kind: SpanKind
    status: SpanStatus
    status_message: str | None
    start_time: datetime
    start_unix_nano: int
    end_unix_nano: int
    duration_ms: float
    service_name: str | None
    scope_name: str | None
    span_class: Literal["llm", "tool", "other"]
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
    has_diff: bool = Field(
        description="Whether a diff text came with the span; /v1/spans/{id}/diff "
        "may also find a change in an edit tool's arguments."
    )
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    user_ref: str | None
    attributes: dict[str, Any] = Field(description="Flattened: kvlists as dotted keys.")


class TraceTree(BaseModel):
    trace_id: str
    span_count: int
    spans: list[SpanPublic] = Field(
        description="Depth first: each span follows its parent, siblings by start."
    )


class SpanDetail(SpanPublic):
    resource: dict[str, Any]
    events: list[Any]
    links: list[Any]
    payload_id: str = Field(description="Opaque id of the raw OTLP request it came in.")


class HunkPublic(BaseModel):
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    section: str
    lines: list[str] = Field(description="Each with its ' ', '-', '+' or '\\' prefix.")


class FileChangePublic(BaseModel):
    old_path: str | None
    new_path: str | None
    status: FileStatus
    binary: bool
    renamed: bool
    added: int
    removed: int
    hunks: list[HunkPublic]


class SpanDiff(BaseModel):
    span_id: str
    source: str = Field(
        description="Where the change was found, e.g. tool.output.diff."
    )
    added: int = Field(description="Lines added over the whole diff.")
    removed: int
    file_count: int
    files: list[FileChangePublic] = Field(description="This page's files.")
    raw: str = Field(description="This page's raw text.")
    warnings: list[str] = Field(description="Set when the text could not all be read.")
    cut: bool = Field(description="More follows: see next_file, or a file was cut.")
    next_file: int | None = Field(description="Pass as `file` for the next page.")


class DiffRow(BaseModel):
    span_id: str
    trace_id: str
    start_time: datetime
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    tool_name: str | None
    source: str
    files: list[str]
    added: int
    removed: int


class DiffPage(BaseModel):
    items: list[DiffRow]
    next_cursor: str | None
