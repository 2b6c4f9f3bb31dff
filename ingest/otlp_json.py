"""Decodes OTLP JSON export requests, with the leniency real senders need.

Accepted beyond the spec: snake_case keys beside lowerCamelCase, int64 values
as JSON numbers, enum names beside numbers, base64 ids beside hex, and ids
that are neither (OpenRouter passes a caller's trace id through verbatim),
which are kept as opaque text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ingest.attributes import json_attributes, json_value
from ingest.errors import UndecodableBody
from ingest.numbers import fits_int16, parse_float, parse_int, parse_uint64
from ingest.records import (
    Decoded,
    LogRecord,
    MetricPointRecord,
    Origin,
    Signal,
    SpanRecord,
)

HEX = re.compile(r"[0-9a-fA-F]+")
TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8

SPAN_KINDS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
TEMPORALITIES = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED": 0,
    "AGGREGATION_TEMPORALITY_DELTA": 1,
    "AGGREGATION_TEMPORALITY_CUMULATIVE": 2,
}
METRIC_KINDS = {
    "gauge": "gauge",
    "sum": "sum",
    "histogram": "histogram",
    "exponentialHistogram": "exponential_histogram",
    "exponential_histogram": "exponential_histogram",
    "summary": "summary",
}


class ItemError(ValueError):
    """One item cannot be read; it is rejected, the rest of the batch is kept."""


def decode(signal: Signal, body: bytes) -> Decoded:
    """Read a JSON Export*ServiceRequest; raise UndecodableBody if unreadable."""
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise UndecodableBody(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise UndecodableBody(
            f"body must be a JSON object, got {type(document).__name__}"
        )
    top_key, reader = READERS[signal]
    blocks = field(document, top_key)
    if blocks is None:
        blocks = []
    if not isinstance(blocks, list):
        raise UndecodableBody(
            f"{top_key!r} must be a list, got {type(blocks).__name__}"
        )
    decoded = Decoded(signal)
    for block in blocks:
        reader(block, decoded)
    return decoded


def field(obj: Mapping[str, Any], camel: str) -> Any:
    """obj[camel], or its snake_case spelling when the camelCase key is absent."""
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel))


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _list(obj: Mapping[str, Any], camel: str) -> list[Any]:
    value = field(obj, camel)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ItemError(f"{camel!r} must be a list, got {type(value).__name__}")
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ItemError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _blocks(
    block: Any, scope_key: str, items_key: str, out: Decoded
) -> list[tuple[Origin, list[Any]]]:
    """(origin, items) for every scope block; unreadable blocks are rejected."""
    try:
        block = _mapping(block, "a resource block")
        resource = json_attributes(
            field(_mapping(field(block, "resource"), "resource"), "attributes")
        )
        pairs = []
        for scoped in _list(block, scope_key):
            scoped = _mapping(scoped, "a scope block")
            scope = _mapping(field(scoped, "scope"), "scope")
            origin = Origin(
                resource=resource,
                scope_name=_text(field(scope, "name")),
                scope_version=_text(field(scope, "version")),
                scope=json_attributes(field(scope, "attributes")),
            )
            pairs.append((origin, _list(scoped, items_key)))
        return pairs
    except ItemError as exc:
        # TODO: the items under a block malformed above them cannot be counted;
        # it is rejected as one item, so the sender sees a low rejected count.
        out.reject(f"a resource block cannot be read: {exc}")
        return []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _enum(value: Any, names: Mapping[str, int], what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, str) and value in names:
        return names[value]
    number = parse_int(value)
    if number is None:
        raise ItemError(f"{what} {value!r} is neither a number nor a known name")
    if not fits_int16(number):
        raise ItemError(f"{what} {value!r} is out of range")
    return number


def _id(value: Any, size: int, what: str, *, required: bool) -> str | None:
    """Lowercase hex for hex or base64 ids of the right size; else opaque text."""
    if value is None or value == "":
        if required:
            raise ItemError(f"{what} is missing")
        return None
    if not isinstance(value, str):
        raise ItemError(f"{what} must be a string, got {type(value).__name__}")
    if len(value) == size * 2 and HEX.fullmatch(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == size:
        return raw.hex()
    return value


def _time(value: Any, what: str, *, required: bool = True) -> int | None:
    if value is None:
        if required:
            raise ItemError(f"{what} is missing")
        return None
    number = parse_uint64(value)
    if number is None:
        raise ItemError(f"{what} {value!r} is not a non-negative integer")
    return number


def _read_traces(block: Any, out: Decoded) -> None:
    for origin, spans in _blocks(block, "scopeSpans", "spans", out):
        for span in spans:
            try:
                out.items.append(_span(span, origin))
            except ItemError as exc:
                out.reject(f"a span cannot be read: {exc}")


def _span(span: Any, origin: Origin) -> SpanRecord:
    span = _mapping(span, "a span")
    status = _mapping(field(span, "status"), "status")
    name = field(span, "name")
    return SpanRecord(
        origin=origin,
        trace_id=_id(field(span, "traceId"), TRACE_ID_BYTES, "traceId", required=True)
        or "",
        span_id=_id(field(span, "spanId"), SPAN_ID_BYTES, "spanId", required=True)
        or "",
        parent_span_id=_id(
            field(span, "parentSpanId"), SPAN_ID_BYTES, "parentSpanId", required=False
        ),
        name=name if isinstance(name, str) else "",
        kind=_enum(field(span, "kind"), SPAN_KINDS, "kind"),
        start_unix_nano=_time(field(span, "startTimeUnixNano"), "startTimeUnixNano")
        or 0,
        end_unix_nano=_time(field(span, "endTimeUnixNano"), "endTimeUnixNano") or 0,
        status_code=_enum(field(status, "code"), STATUS_CODES, "status code"),
        status_message=_text(field(status, "message")),
        attributes=json_attributes(field(span, "attributes")),
        events=[_event(e) for e in _list(span, "events")],
        links=[_link(link) for link in _list(span, "links")],
    )


def _event(event: Any) -> dict[str, Any]:
    event = _mapping(event, "an event")
    return {
        "name": _text(field(event, "name")),
        "time_unix_nano": _time(
            field(event, "timeUnixNano"), "event time", required=False
        ),
        "attributes": json_attributes(field(event, "attributes")),
    }


def _link(link: Any) -> dict[str, Any]:
    link = _mapping(link, "a link")
    return {
        "trace_id": _id(
            field(link, "traceId"), TRACE_ID_BYTES, "link traceId", required=False
        ),
        "span_id": _id(
            field(link, "spanId"), SPAN_ID_BYTES, "link spanId", required=False
        ),
        "attributes": json_attributes(field(link, "attributes")),
    }


def _read_metrics(block: Any, out: Decoded) -> None:
    for origin, metrics in _blocks(block, "scopeMetrics", "metrics", out):
        for metric in metrics:
            try:
                _metric(_mapping(metric, "a metric"), origin, out)
            except ItemError as exc:
                out.reject(f"a metric cannot be read: {exc}")


def _metric(metric: Mapping[str, Any], origin: Origin, out: Decoded) -> None:
    name = field(metric, "name")
    if not isinstance(name, str) or not name:
        raise ItemError("a metric has no name")
    kind = next((key for key in METRIC_KINDS if key in metric), None)
    if kind is None:
        return
    metric_type = METRIC_KINDS[kind]
    data = _mapping(metric[kind], kind)
    temporality = field(data, "aggregationTemporality")
    monotonic = field(data, "isMonotonic")
    for point in _list(data, "dataPoints"):
        try:
            out.items.append(
                _point(
                    _mapping(point, "a data point"),
                    origin=origin,
                    name=name,
                    metric_type=metric_type,
                    unit=_text(field(metric, "unit")),
                    temporality=None
                    if temporality is None
                    else _enum(temporality, TEMPORALITIES, "aggregationTemporality"),
                    monotonic=monotonic if isinstance(monotonic, bool) else None,
                )
            )
        except ItemError as exc:
            out.reject(f"a data point of {name!r} cannot be read: {exc}")


def _point(
    point: Mapping[str, Any],
    *,
    origin: Origin,
    name: str,
    metric_type: str,
    unit: str | None,
    temporality: int | None,
    monotonic: bool | None,
) -> MetricPointRecord:
    values = POINT_VALUES[metric_type](point)
    return MetricPointRecord(
        origin=origin,
        metric_name=name,
        metric_type=metric_type,
        unit=unit,
        temporality=temporality,
        is_monotonic=monotonic if metric_type == "sum" else None,
        start_unix_nano=_time(
            field(point, "startTimeUnixNano"), "startTimeUnixNano", required=False
        )
        or None,
        time_unix_nano=_time(field(point, "timeUnixNano"), "timeUnixNano") or 0,
        attributes=json_attributes(field(point, "attributes")),
        **values,
    )


def _number_point(point: Mapping[str, Any]) -> dict[str, Any]:
    as_int = field(point, "asInt")
    if as_int is not None:
        number = parse_int(as_int)
        if number is None:
            raise ItemError(f"asInt {as_int!r} is not an integer")
        return _values(value=float(number), int_value=number)
    as_double = field(point, "asDouble")
    value = parse_float(as_double) if as_double is not None else None
    if as_double is not None and value is None:
        raise ItemError(f"asDouble {as_double!r} is not a number")
    return _values(value=value)


def _histogram_point(point: Mapping[str, Any]) -> dict[str, Any]:
    return _values(
        count=parse_uint64(field(point, "count")),
        sum=parse_float(field(point, "sum")),
        min=parse_float(field(point, "min")),
        max=parse_float(field(point, "max")),
        distribution={
            "bucket_counts": [parse_uint64(c) for c in _list(point, "bucketCounts")],
            "explicit_bounds": [parse_float(b) for b in _list(point, "explicitBounds")],
        },
    )


def _exponential_point(point: Mapping[str, Any]) -> dict[str, Any]:
    return _values(
        count=parse_uint64(field(point, "count")),
        sum=parse_float(field(point, "sum")),
        min=parse_float(field(point, "min")),
        max=parse_float(field(point, "max")),
        distribution={
            "scale": parse_int(field(point, "scale")),
            "zero_count": parse_uint64(field(point, "zeroCount")),
            "positive": _buckets(field(point, "positive")),
            "negative": _buckets(field(point, "negative")),
        },
    )


def _buckets(value: Any) -> dict[str, Any]:
    buckets = _mapping(value, "buckets")
    return {
        "offset": parse_int(field(buckets, "offset")) or 0,
        "bucket_counts": [parse_uint64(c) for c in _list(buckets, "bucketCounts")],
    }


def _summary_point(point: Mapping[str, Any]) -> dict[str, Any]:
    quantiles = [_mapping(q, "a quantile") for q in _list(point, "quantileValues")]
    return _values(
        count=parse_uint64(field(point, "count")),
        sum=parse_float(field(point, "sum")),
        distribution={
            "quantile_values": [
                {
                    "quantile": parse_float(field(q, "quantile")),
                    "value": parse_float(field(q, "value")),
                }
                for q in quantiles
            ]
        },
    )


def _values(**given: Any) -> dict[str, Any]:
    keys = ("value", "int_value", "count", "sum", "min", "max", "distribution")
    return {key: given.get(key) for key in keys}


def _read_logs(block: Any, out: Decoded) -> None:
    for origin, records in _blocks(block, "scopeLogs", "logRecords", out):
        for record in records:
            try:
                out.items.append(_log(_mapping(record, "a log record"), origin))
            except ItemError as exc:
                out.reject(f"a log record cannot be read: {exc}")


def _log(record: Mapping[str, Any], origin: Origin) -> LogRecord:
    attributes = json_attributes(field(record, "attributes"))
    observed = _time(
        field(record, "observedTimeUnixNano"), "observedTimeUnixNano", required=False
    )
    time = _time(field(record, "timeUnixNano"), "timeUnixNano", required=False)
    event_name = _text(field(record, "eventName")) or attributes.get("event.name")
    severity = field(record, "severityNumber")
    return LogRecord(
        origin=origin,
        time_unix_nano=time or observed or 0,
        observed_unix_nano=observed or None,
        severity_number=None if severity is None else _severity(severity),
        severity_text=_text(field(record, "severityText")),
        event_name=event_name if isinstance(event_name, str) else None,
        body=json_value(field(record, "body")),
        trace_id=_id(
            field(record, "traceId"), TRACE_ID_BYTES, "traceId", required=False
        ),
        span_id=_id(field(record, "spanId"), SPAN_ID_BYTES, "spanId", required=False),
        attributes=attributes,
    )


def _severity(value: Any) -> int | None:
    if isinstance(value, str) and value.startswith("SEVERITY_NUMBER_"):
        return SEVERITY_NAMES.get(value.removeprefix("SEVERITY_NUMBER_"))
    number = parse_int(value)
    if number is not None and not fits_int16(number):
        raise ItemError(f"severityNumber {value!r} is out of range")
    return number


LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# SEVERITY_NUMBER_TRACE is 1, TRACE2 is 2, ..., FATAL4 is 24.
SEVERITY_NAMES = {
    level + (str(step) if step > 1 else ""): index * 4 + step
    for index, level in enumerate(LEVELS)
    for step in range(1, 5)
} | {"UNSPECIFIED": 0}

POINT_VALUES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "gauge": _number_point,
    "sum": _number_point,
    "histogram": _histogram_point,
    "exponential_histogram": _exponential_point,
    "summary": _summary_point,
}
READERS: dict[Signal, tuple[str, Callable[[Any, Decoded], None]]] = {
    "traces": ("resourceSpans", _read_traces),
    "metrics": ("resourceMetrics", _read_metrics),
    "logs": ("resourceLogs", _read_logs),
}
