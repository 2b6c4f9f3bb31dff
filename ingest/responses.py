"""OTLP answers: empty success, partial success and google.rpc.Status errors."""

from __future__ import annotations

from typing import Any

import orjson
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ingest.records import Signal

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# Per signal: the response message, its partial-success message and the name
# of the rejected-count field in that message.
RESPONSES: dict[Signal, tuple[Any, Any, str]] = {
    "traces": (
        trace_service_pb2.ExportTraceServiceResponse,
        trace_service_pb2.ExportTracePartialSuccess,
        "rejected_spans",
    ),
    "metrics": (
        metrics_service_pb2.ExportMetricsServiceResponse,
        metrics_service_pb2.ExportMetricsPartialSuccess,
        "rejected_data_points",
    ),
    "logs": (
        logs_service_pb2.ExportLogsServiceResponse,
        logs_service_pb2.ExportLogsPartialSuccess,
        "rejected_log_records",
    ),
}
JSON_REJECTED = {
    "traces": "rejectedSpans",
    "metrics": "rejectedDataPoints",
    "logs": "rejectedLogRecords",
}


def media_type(content_type: str | None) -> str | None:
    """The OTLP media type named by a Content-Type header, parameters ignored."""
    if not content_type:
        return None
    base = content_type.split(";", 1)[0].strip().lower()
    return base if base in (PROTOBUF, JSON) else None


def export_response(
    signal: Signal, media: str, rejected: int = 0, message: str | None = None
) -> bytes:
    """An Export*ServiceResponse, with partial success when items were rejected."""
    if media == JSON:
        if not rejected:
            return b"{}"
        partial = {JSON_REJECTED[signal]: str(rejected), "errorMessage": message or ""}
        return orjson.dumps({"partialSuccess": partial})
    response_type, partial_type, field = RESPONSES[signal]
    if not rejected:
        return bytes(response_type().SerializeToString())
    partial = partial_type(error_message=message or "", **{field: rejected})
    return bytes(response_type(partial_success=partial).SerializeToString())


def status_body(media: str, code: int, message: str) -> bytes:
    """A google.rpc.Status with a gRPC code, in the request's media type."""
    if media == JSON:
        return orjson.dumps({"code": code, "message": message})
    return bytes(status_pb2.Status(code=code, message=message).SerializeToString())
