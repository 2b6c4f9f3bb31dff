"""Decodes OTLP protobuf export requests into records.

Trace requests go first through `ingest._otlp_traces`, a C reader built at
install time where a compiler is found. It returns the same records this
module's protobuf path builds, or declines a body it does not handle exactly
(see ingest/c_reader/traces.c); declined bodies, and every body when the reader is
not built, are decoded here with the protobuf library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from ingest.attributes import pb_attributes, pb_value
from ingest.errors import UndecodableBody
from ingest.numbers import fits_int16, fits_int64
from ingest.records import (
    Decoded,
    LogRecord,
    MetricPointRecord,
    Origin,
    Signal,
    SpanRecord,
)

ReadTraces = Callable[[bytes, type[Origin], type[SpanRecord]], list[SpanRecord] | None]


def _c_reader() -> ReadTraces | None:
    try:
        from ingest import _otlp_traces
    except ImportError:  # built without a C compiler: the protobuf path alone
        return None
    return _otlp_traces.read_traces


READ_TRACES = _c_reader()

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8


def fast_reader_built() -> bool:
    """Whether trace bodies are read by the C reader before the protobuf path."""
    return READ_TRACES is not None


def decode(signal: Signal, body: bytes) -> Decoded:
    """Read a protobuf Export*ServiceRequest; raise UndecodableBody if invalid."""
    if signal == "traces" and READ_TRACES is not None:
        spans = READ_TRACES(body, Origin, SpanRecord)
        if spans is not None:
            return Decoded(signal, spans)
    return decode_with_protobuf(signal, body)


def decode_with_protobuf(signal: Signal, body: bytes) -> Decoded:
    """`decode` through the protobuf library alone: what decides validity."""
    request_type, reader = READERS[signal]
    request = request_type()
    try:
        request.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise UndecodableBody(
            f"body is not a valid protobuf {request_type.__name__}: {exc}"
        ) from exc
    decoded = Decoded(signal)
    reader(request, decoded)
    return decoded


def _origin(resource: dict[str, Any], scope_block: Any) -> Origin:
    scope = scope_block.scope
    return Origin(
        resource=resource,
        scope_name=scope.name or None,
        scope_version=scope.version or None,
        scope=pb_attributes(scope.attributes),
    )


def _hex_id(raw: bytes, size: int) -> str | None:
    return raw.hex() if len(raw) == size else None


def _read_traces(request: Any, out: Decoded) -> None:
    for rs in request.resource_spans:
        resource = pb_attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            origin = _origin(resource, ss)
            for span in ss.spans:
                record = _span(span, origin)
                if record is None:
                    out.reject("a span has an invalid trace_id or span_id")
                elif (problem := _span_problem(record)) is not None:
                    out.reject(f"a span cannot be stored: {problem}")
                else:
                    out.items.append(record)


def _span_problem(span: SpanRecord) -> str | None:
    """Why a span cannot be stored, checked cheaply first (nearly all can be)."""
    if (
        fits_int16(span.kind)
        and fits_int16(span.status_code)
        and fits_int64(span.start_unix_nano)
        and fits_int64(span.end_unix_nano)
    ):
        return None
    return _unstorable(
        enums={"kind": span.kind, "status code": span.status_code},
        numbers={
            "start_time_unix_nano": span.start_unix_nano,
            "end_time_unix_nano": span.end_unix_nano,
        },
    )


def _unstorable(*, enums: dict[str, int], numbers: dict[str, int]) -> str | None:
    """Why an item's enums (int16) or uint64 fields (int64) cannot be stored."""
    for name, value in enums.items():
        if not fits_int16(value):
            return f"{name} {value} is out of range"
    for name, value in numbers.items():
        if not fits_int64(value):
            return f"{name} {value} is larger than an int64"
    return None


def _span(span: Any, origin: Origin) -> SpanRecord | None:
    trace_id = _hex_id(span.trace_id, TRACE_ID_BYTES)
    span_id = _hex_id(span.span_id, SPAN_ID_BYTES)
    if trace_id is None or span_id is None:
        return None
    status, events, links = span.status, span.events, span.links
    return SpanRecord(
        origin=origin,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=_hex_id(span.parent_span_id, SPAN_ID_BYTES),
        name=span.name,
        kind=span.kind,
        start_unix_nano=span.start_time_unix_nano,
        end_unix_nano=span.end_time_unix_nano,
        status_code=status.code,
        status_message=status.message or None,
        attributes=pb_attributes(span.attributes),
        events=[_event(e) for e in events] if events else [],
        links=[_link(link) for link in links] if links else [],
    )


def _event(event: Any) -> dict[str, Any]:
    return {
        "name": event.name,
        "time_unix_nano": event.time_unix_nano,
        "attributes": pb_attributes(event.attributes),
    }


def _link(link: Any) -> dict[str, Any]:
    return {
        "trace_id": link.trace_id.hex(),
        "span_id": link.span_id.hex(),
        "attributes": pb_attributes(link.attributes),
    }


def _read_metrics(request: Any, out: Decoded) -> None:
    for rm in request.resource_metrics:
        resource = pb_attributes(rm.resource.attributes)
        for sm in rm.scope_metrics:
            origin = _origin(resource, sm)
            for metric in sm.metrics:
                _metric(metric, origin, out)


def _metric(metric: Any, origin: Origin, out: Decoded) -> None:
    kind = metric.WhichOneof("data")
    if kind is None:
        return
    data = getattr(metric, kind)
    metric_type = METRIC_TYPES[kind]
    temporality = getattr(data, "aggregation_temporality", None)
    monotonic = getattr(data, "is_monotonic", None) if kind == "sum" else None
    for point in data.data_points:
        values = POINT_VALUES[kind](point)
        if not point.time_unix_nano:
            out.reject(f"a data point of {metric.name!r} has no time_unix_nano")
            continue
        problem = _unstorable(
            enums={"aggregation_temporality": temporality or 0},
            numbers={
                "time_unix_nano": point.time_unix_nano,
                "start_time_unix_nano": point.start_time_unix_nano,
                "count": values["count"] or 0,
            },
        )
        if problem is not None:
            out.reject(f"a data point of {metric.name!r} cannot be stored: {problem}")
            continue
        out.items.append(
            MetricPointRecord(
                origin=origin,
                metric_name=metric.name,
                metric_type=metric_type,
                unit=metric.unit or None,
                temporality=temporality,
                is_monotonic=monotonic,
                start_unix_nano=point.start_time_unix_nano or None,
                time_unix_nano=point.time_unix_nano,
                attributes=pb_attributes(point.attributes),
                **values,
            )
        )


def _number_point(point: Any) -> dict[str, Any]:
    which = point.WhichOneof("value")
    as_int = point.as_int if which == "as_int" else None
    as_double = point.as_double if which == "as_double" else None
    return _values(
        value=float(as_int) if as_int is not None else as_double, int_value=as_int
    )


def _histogram_point(point: Any) -> dict[str, Any]:
    return _values(
        count=point.count,
        sum=point.sum if point.HasField("sum") else None,
        min=point.min if point.HasField("min") else None,
        max=point.max if point.HasField("max") else None,
        distribution={
            "bucket_counts": list(point.bucket_counts),
            "explicit_bounds": list(point.explicit_bounds),
        },
    )


def _exponential_point(point: Any) -> dict[str, Any]:
    return _values(
        count=point.count,
        sum=point.sum if point.HasField("sum") else None,
        min=point.min if point.HasField("min") else None,
        max=point.max if point.HasField("max") else None,
        distribution={
            "scale": point.scale,
            "zero_count": point.zero_count,
            "positive": {
                "offset": point.positive.offset,
                "bucket_counts": list(point.positive.bucket_counts),
            },
            "negative": {
                "offset": point.negative.offset,
                "bucket_counts": list(point.negative.bucket_counts),
            },
        },
    )


def _summary_point(point: Any) -> dict[str, Any]:
    return _values(
        count=point.count,
        sum=point.sum,
        distribution={
            "quantile_values": [
                {"quantile": q.quantile, "value": q.value}
                for q in point.quantile_values
            ]
        },
    )


def _values(**given: Any) -> dict[str, Any]:
    keys = ("value", "int_value", "count", "sum", "min", "max", "distribution")
    return {key: given.get(key) for key in keys}


def _read_logs(request: Any, out: Decoded) -> None:
    for rl in request.resource_logs:
        resource = pb_attributes(rl.resource.attributes)
        for sl in rl.scope_logs:
            origin = _origin(resource, sl)
            for record in sl.log_records:
                problem = _unstorable(
                    enums={"severity_number": record.severity_number},
                    numbers={
                        "time_unix_nano": record.time_unix_nano,
                        "observed_time_unix_nano": record.observed_time_unix_nano,
                    },
                )
                if problem is None:
                    out.items.append(_log(record, origin))
                else:
                    out.reject(f"a log record cannot be stored: {problem}")


def _log(record: Any, origin: Origin) -> LogRecord:
    attributes = pb_attributes(record.attributes)
    event_name = record.event_name or attributes.get("event.name")
    time = record.time_unix_nano or record.observed_time_unix_nano
    return LogRecord(
        origin=origin,
        time_unix_nano=time,
        observed_unix_nano=record.observed_time_unix_nano or None,
        severity_number=record.severity_number or None,
        severity_text=record.severity_text or None,
        event_name=event_name if isinstance(event_name, str) else None,
        body=pb_value(record.body) if record.HasField("body") else None,
        trace_id=_hex_id(record.trace_id, TRACE_ID_BYTES),
        span_id=_hex_id(record.span_id, SPAN_ID_BYTES),
        attributes=attributes,
    )


METRIC_TYPES = {
    "gauge": "gauge",
    "sum": "sum",
    "histogram": "histogram",
    "exponential_histogram": "exponential_histogram",
    "summary": "summary",
}
POINT_VALUES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "gauge": _number_point,
    "sum": _number_point,
    "histogram": _histogram_point,
    "exponential_histogram": _exponential_point,
    "summary": _summary_point,
}
READERS: dict[Signal, tuple[Any, Callable[[Any, Decoded], None]]] = {
    "traces": (ExportTraceServiceRequest, _read_traces),
    "metrics": (ExportMetricsServiceRequest, _read_metrics),
    "logs": (ExportLogsServiceRequest, _read_logs),
}
