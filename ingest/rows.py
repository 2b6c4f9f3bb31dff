"""Normalised rows for the log's projections, built from decoded records.

Each row carries the values of its projection's columns in the order of the
*_FIELDS tuple below, plus the sender's user reference, which the caller
resolves to a Stereos user before the row is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from ingest.normalise import GenAIFields, OriginView, normalise_item, read_origin
from ingest.records import Decoded, LogRecord, MetricPointRecord, Origin, SpanRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NUL_ESCAPE = b"\\u0000"
TEAM_KEYS = ("trace.metadata.team_id", "team.id")

SPAN_FIELDS = (
    "trace_id", "span_id", "parent_span_id", "name", "kind", "status_code",
    "status_message", "start_time", "start_unix_nano", "end_unix_nano",
    "service_name", "scope_name", "span_class", "operation", "vendor", "model",
    "input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens",
    "cost_usd", "cost_source", "session_id", "tool_name", "response_id", "diff",
    "attributes", "resource", "events", "links",
)  # fmt: skip
METRIC_FIELDS = (
    "metric_name", "metric_type", "unit", "temporality", "is_monotonic",
    "start_unix_nano", "time_unix_nano", "time", "value", "int_value", "count",
    "sum", "min", "max", "distribution", "service_name", "scope_name", "vendor",
    "model", "session_id", "attributes", "resource", "dedup_key",
)  # fmt: skip
LOG_FIELDS = (
    "time_unix_nano", "observed_unix_nano", "time", "severity_number",
    "severity_text", "event_name", "body", "trace_id", "span_id", "service_name",
    "scope_name", "record_class", "vendor", "model", "input_tokens",
    "output_tokens", "cached_tokens", "cache_creation_tokens", "cost_usd",
    "cost_source", "session_id", "tool_name", "attributes", "resource",
    "dedup_key",
)  # fmt: skip


class Row(NamedTuple):
    """A projection row and the sender's names for its user and team."""

    user_ref: str | None
    user_email: str | None
    team_ref: str | None
    values: tuple[Any, ...]


def rows(decoded: Decoded) -> Iterator[Row]:
    """The projection rows of a decoded request, in request order."""
    origins = _Origins()
    builder = BUILDERS[decoded.signal]
    for item in decoded.items:
        yield builder(item, origins)


def to_json(value: Any) -> str:
    """JSON text PostgreSQL's jsonb accepts: NUL characters are dropped."""
    dumped = orjson.dumps(value)
    if NUL_ESCAPE in dumped:
        dumped = orjson.dumps(_without_nul(value))
    return dumped.decode()


def text(value: str | None) -> str | None:
    """Text PostgreSQL accepts: NUL characters are dropped."""
    if value is not None and "\x00" in value:
        return value.replace("\x00", "")
    return value


def timestamp(unix_nano: int) -> datetime:
    """A timezone-aware time from nanoseconds since the epoch (microseconds kept)."""
    return EPOCH + timedelta(0, 0, unix_nano // 1000)


def digest(*parts: Any) -> bytes:
    """A 16-byte digest of JSON-serialisable parts, stable across processes."""
    data = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class _OriginFacts:
    """What an origin adds to every row of its items."""

    view: OriginView
    service_name: str | None
    scope_name: str | None
    resource_json: str
    team_ref: str | None  # named on the resource


class _Origins:
    """Works out once per request what each distinct origin adds to its rows.

    Keyed by object identity: the decoded request holds every origin alive
    while its rows are built.
    """

    def __init__(self) -> None:
        self._facts: dict[int, _OriginFacts] = {}
        self._json: dict[int, str] = {}

    def __call__(self, origin: Origin) -> _OriginFacts:
        found = self._facts.get(id(origin))
        if found is None:
            found = self._facts[id(origin)] = _OriginFacts(
                view=read_origin(origin.scope, origin.resource),
                service_name=text(origin.service_name),
                scope_name=text(origin.scope_name),
                resource_json=self._resource_json(origin.resource),
                team_ref=_team_ref(origin.resource),
            )
        return found

    def _resource_json(self, resource: dict[str, Any]) -> str:
        # Scope blocks of one resource block share its dict: serialise it once.
        found = self._json.get(id(resource))
        if found is None:
            found = self._json[id(resource)] = to_json(resource)
        return found


def _span_row(span: SpanRecord, origins: _Origins) -> Row:
    o = origins(span.origin)
    f = normalise_item(span.attributes, o.view, name=span.name)
    values = (
        text(span.trace_id), text(span.span_id), text(span.parent_span_id),
        text(span.name), span.kind, span.status_code, text(span.status_message),
        timestamp(span.start_unix_nano), span.start_unix_nano, span.end_unix_nano,
        o.service_name, o.scope_name, f.span_class,
        text(f.operation), text(f.vendor), text(f.model), *_usage(f),
        text(f.session_id), text(f.tool_name), text(f.response_id), text(f.diff),
        to_json(span.attributes), o.resource_json,
        to_json(span.events) if span.events else None,
        to_json(span.links) if span.links else None,
    )  # fmt: skip
    team = _team_ref(span.attributes) or o.team_ref
    return _row(f, team, values)


def _metric_row(point: MetricPointRecord, origins: _Origins) -> Row:
    origin = point.origin
    o = origins(origin)
    f = normalise_item(point.attributes, o.view, name=point.metric_name)
    key = digest(
        point.metric_name, point.metric_type, point.unit, origin.resource,
        origin.scope_name, origin.scope_version, point.attributes,
        point.start_unix_nano, point.time_unix_nano,
    )  # fmt: skip
    values = (
        text(point.metric_name), point.metric_type, text(point.unit),
        point.temporality, point.is_monotonic, point.start_unix_nano,
        point.time_unix_nano, timestamp(point.time_unix_nano), point.value,
        point.int_value, point.count, point.sum, point.min, point.max,
        to_json(point.distribution) if point.distribution is not None else None,
        o.service_name, o.scope_name, text(f.vendor),
        text(f.model), text(f.session_id), to_json(point.attributes),
        o.resource_json, key,
    )  # fmt: skip
    team = _team_ref(point.attributes) or o.team_ref
    return _row(f, team, values)


def _log_row(record: LogRecord, origins: _Origins) -> Row:
    origin = record.origin
    o = origins(origin)
    name = record.event_name or (record.body if isinstance(record.body, str) else "")
    f = normalise_item(record.attributes, o.view, name=name)
    key = digest(
        origin.resource, origin.scope_name, origin.scope_version,
        record.time_unix_nano, record.observed_unix_nano, record.severity_number,
        record.severity_text, record.event_name, record.body, record.trace_id,
        record.span_id, record.attributes,
    )  # fmt: skip
    values = (
        record.time_unix_nano, record.observed_unix_nano,
        timestamp(record.time_unix_nano), record.severity_number,
        text(record.severity_text), text(record.event_name),
        to_json(record.body) if record.body is not None else None,
        text(record.trace_id), text(record.span_id), o.service_name,
        o.scope_name, f.span_class, text(f.vendor), text(f.model),
        *_usage(f), text(f.session_id), text(f.tool_name),
        to_json(record.attributes), o.resource_json, key,
    )  # fmt: skip
    team = _team_ref(record.attributes) or o.team_ref
    return _row(f, team, values)


def _row(f: GenAIFields, team: str | None, values: tuple[Any, ...]) -> Row:
    # NULs dropped as from all text: the names are bound in SQL, and stored.
    return Row(text(f.user_ref), text(f.user_email), text(team), values)


def _team_ref(attributes: dict[str, Any]) -> str | None:
    """The team an attribute set names: OpenRouter trace metadata, else `team.id`.

    A row's team is its item's, else its resource's.
    """
    for key in TEAM_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _usage(f: GenAIFields) -> tuple[Any, ...]:
    return (
        f.input_tokens, f.output_tokens, f.cached_tokens, f.cache_creation_tokens,
        f.cost_usd, f.cost_source,
    )  # fmt: skip


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


BUILDERS: dict[str, Any] = {
    "traces": _span_row,
    "metrics": _metric_row,
    "logs": _log_row,
}
