"""OTLP requests and answers for the receiver tests: bodies, posting, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import psycopg
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TABLES = ("payloads", "spans", "metric_points", "log_records")
GIB = 1 << 30
MIB = 1 << 20


def proto_request(spans: int = 2) -> ExportTraceServiceRequest:
    """A real ExportTraceServiceRequest with `spans` valid spans."""
    built = [
        Span(
            trace_id=bytes.fromhex("0af7651916cd43dd8448eb211c80319c"),
            span_id=bytes([1, 2, 3, 4, 5, 6, 7, i]),
            name=f"chat {i}",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=1_700_000_000_000_000_000,
            end_time_unix_nano=1_700_000_001_000_000_000,
            attributes=[
                KeyValue(
                    key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o")
                )
            ],
        )
        for i in range(spans)
    ]
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=built)])]
    )


def json_span(span_id: str, **overrides: object) -> dict[str, object]:
    span: dict[str, object] = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": span_id,
        "name": "chat",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
    }
    span.update(overrides)
    return span


def json_request(*spans: dict[str, object]) -> bytes:
    return orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]})


def post(
    url: str,
    body: bytes | Iterator[bytes],
    *,
    token: str | None,
    content_type: str = JSON,
    encoding: str | None = None,
    path: str = "/v1/traces",
) -> httpx.Response:
    headers = {"content-type": content_type}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if encoding is not None:
        headers["content-encoding"] = encoding
    return httpx.post(f"{url}{path}", content=body, headers=headers, timeout=30)


def refusal(response: httpx.Response, status: int, media: str = JSON) -> str:
    """The Status message of a refusal, checked for status, type and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(media)
    if media == JSON:
        body = response.json()
        assert set(body) == {"code", "message"}
        assert isinstance(body["code"], int) and body["code"] > 0
        message: str = body["message"]
    else:
        parsed = status_pb2.Status.FromString(response.content)
        assert parsed.code > 0
        message = parsed.message
    assert message
    return message


def counts(db: psycopg.Connection) -> dict[str, int]:
    out = {}
    for table in TABLES:
        row = db.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        out[table] = row[0]
    return out


NOTHING = dict.fromkeys(TABLES, 0)
