"""Arbitrary bodies at the live OTLP receivers: an answer for all, never a 5xx.

One server per test function serves every example; bodies are random bytes,
random JSON, OTLP-shaped JSON with wrong types in any field, and protobuf
requests with extreme values, under random content types and encodings.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
import zstandard
from google.rpc import status_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import (
    ResourceSpans,
    ScopeSpans,
    Span,
    Status,
)

from tests.factories import make_tenant
from tests.fix_server import serve, server_settings
from warehouse import credentials

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
SIGNALS = ("traces", "metrics", "logs")
EXPECTED = {200, 400, 401, 413, 415}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Target:
    url: str
    tokens: tuple[str, ...]


@pytest.fixture
def target(db_url: str, db: psycopg.Connection) -> Iterator[Target]:
    """One live server for all of a test's examples, with an sk_ and an orb_ key."""
    tenant = make_tenant(db)
    _, broadcast = credentials.create_broadcast_credential(
        db, customer_id=tenant.customer_id
    )
    # A small limit lets random bodies reach the 413 paths too.
    for live in serve(db_url, server_settings(max_body_bytes=64 * 1024)):
        yield Target(live.url, (tenant.token, broadcast))


def send(
    target: Target,
    signal: str,
    body: bytes,
    *,
    content_type: str,
    encoding: str | None,
    token: int,
) -> None:
    """POST and check the answer is well-formed and not a server error."""
    headers = {"content-type": content_type}
    if encoding is not None:
        headers["content-encoding"] = encoding
    if token < len(target.tokens):
        headers["authorization"] = f"Bearer {target.tokens[token]}"
    response = httpx.post(
        f"{target.url}/v1/{signal}", content=body, headers=headers, timeout=30
    )
    assert response.status_code in EXPECTED, (response.status_code, response.text)
    reply = PROTOBUF if content_type.startswith(PROTOBUF) else JSON
    assert response.headers["content-type"].startswith(reply)
    if response.status_code == 200:
        if reply == JSON:
            assert isinstance(response.json(), dict)
        return
    if reply == JSON:
        assert response.json()["message"]
    else:
        assert status_pb2.Status.FromString(response.content).message


def compress(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "GZIP"):
        return zlib.compress(body, wbits=31)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "zstd":
        return zstandard.ZstdCompressor().compress(body)
    return body


# JSON of any shape, big integers and odd text included.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
numberish = (
    st.integers()
    | st.integers(min_value=0, max_value=2**64).map(str)
    | st.sampled_from(["abc", "", "-1", "1e3", "NaN", "Infinity", " 7 "])
    | st.floats(allow_nan=False, allow_infinity=False)
    | anything
)
ids = (
    st.binary(max_size=20).map(bytes.hex)
    | st.sampled_from(["AAECAwQFBgcICQoLDA0ODw==", "AAECAwQFBgc=", "not-hex/1"])
    | anything
)
enums = (
    st.integers(min_value=-(2**40), max_value=2**40)
    | st.sampled_from(["SPAN_KIND_SERVER", "STATUS_CODE_OK", "nope"])
    | anything
)


def any_value(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda v: {"stringValue": v}, anything),
        st.builds(lambda v: {"intValue": v}, numberish),
        st.builds(lambda v: {"doubleValue": v}, numberish),
        st.builds(lambda v: {"boolValue": v}, anything),
        st.builds(lambda v: {"bytesValue": v}, anything),
        st.builds(lambda v: {"arrayValue": {"values": v}}, st.lists(inner, max_size=3)),
        st.builds(
            lambda v: {"kvlistValue": {"values": v}},
            st.lists(
                st.fixed_dictionaries({"key": st.text(max_size=5), "value": inner})
            ),
        ),
        anything,
    )


values = st.recursive(scalars, any_value, max_leaves=8)
attributes = (
    st.lists(
        st.fixed_dictionaries({"key": st.text(max_size=8) | anything, "value": values}),
        max_size=4,
    )
    | anything
)


def maybe(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of these fields."""
    return st.fixed_dictionaries({}, optional=fields)


status = maybe(code=enums, message=anything) | anything
span = maybe(
    traceId=ids, spanId=ids, parentSpanId=ids, name=anything, kind=enums,
    startTimeUnixNano=numberish, endTimeUnixNano=numberish, status=status,
    attributes=attributes,
    events=st.lists(maybe(name=anything, timeUnixNano=numberish,
                          attributes=attributes), max_size=2) | anything,
    links=st.lists(maybe(traceId=ids, spanId=ids), max_size=2) | anything,
)  # fmt: skip
point = maybe(
    timeUnixNano=numberish, startTimeUnixNano=numberish, asInt=numberish,
    asDouble=numberish, count=numberish, sum=numberish, min=numberish,
    bucketCounts=st.lists(numberish, max_size=3) | anything,
    explicitBounds=st.lists(numberish, max_size=3) | anything,
    quantileValues=st.lists(maybe(quantile=numberish, value=numberish), max_size=2),
    scale=numberish, zeroCount=numberish,
    positive=maybe(offset=numberish, bucketCounts=st.lists(numberish, max_size=2)),
    attributes=attributes,
)  # fmt: skip
metric_data = maybe(
    dataPoints=st.lists(point, max_size=3) | anything,
    aggregationTemporality=enums,
    isMonotonic=anything,
)
metric = maybe(
    name=st.text(max_size=8) | anything, unit=anything,
    gauge=metric_data, sum=metric_data, histogram=metric_data,
    exponentialHistogram=metric_data, summary=metric_data,
)  # fmt: skip
log_record = maybe(
    timeUnixNano=numberish, observedTimeUnixNano=numberish,
    severityNumber=enums | st.sampled_from(["SEVERITY_NUMBER_INFO3"]),
    severityText=anything, eventName=anything, body=values, traceId=ids,
    spanId=ids, attributes=attributes,
)  # fmt: skip


def otlp(top: str, scope_key: str, items_key: str, item: Any) -> Any:
    scoped = maybe(scope=maybe(name=anything, attributes=attributes),
                   **{items_key: st.lists(item, max_size=3) | anything})  # fmt: skip
    block = maybe(
        resource=maybe(attributes=attributes) | anything,
        **{scope_key: st.lists(scoped, max_size=2) | anything},
    )
    return maybe(**{top: st.lists(block, max_size=2) | anything})


documents = {
    "traces": otlp("resourceSpans", "scopeSpans", "spans", span),
    "metrics": otlp("resourceMetrics", "scopeMetrics", "metrics", metric),
    "logs": otlp("resourceLogs", "scopeLogs", "logRecords", log_record),
}
# Mostly a valid token, so that most examples reach the decoders.
tokens = st.sampled_from([0, 0, 0, 1, 1, 2])


@st.composite
def signal_and_document(draw: st.DrawFn) -> tuple[str, Any]:
    """A signal and, mostly, a document shaped for it."""
    signal = draw(st.sampled_from(SIGNALS))
    shape = draw(st.sampled_from([signal, signal, signal, "any"]))
    return signal, draw(anything if shape == "any" else documents[shape])


content_types = st.sampled_from(
    [JSON, PROTOBUF, "application/json; charset=utf-8", "text/plain", "", "x/y"]
)
encodings = st.sampled_from(
    [None, None, "gzip", "deflate", "zstd", "identity", "br", "GZIP", "gzip, zstd"]
)


@FUZZ
@given(
    sent=signal_and_document(),
    encoding=encodings,
    content_type=st.sampled_from([JSON, JSON, "application/json; charset=utf-8"]),
    token=tokens,
)
def test_json_documents_never_cause_a_server_error(
    target: Target,
    sent: tuple[str, Any],
    encoding: str | None,
    content_type: str,
    token: int,
) -> None:
    signal, document = sent
    # The standard library writes integers of any size, unlike orjson.
    body = json.dumps(document).encode()
    body = compress(body, encoding) if encoding else body
    send(
        target, signal, body,
        content_type=content_type, encoding=encoding, token=token,
    )  # fmt: skip


@FUZZ
@given(
    signal=st.sampled_from(SIGNALS),
    body=st.binary(max_size=600),
    encoding=encodings,
    compressed=st.booleans(),
    content_type=content_types,
    token=tokens,
)
def test_random_bytes_never_cause_a_server_error(
    target: Target,
    signal: str,
    body: bytes,
    encoding: str | None,
    compressed: bool,
    content_type: str,
    token: int,
) -> None:
    if compressed and encoding:
        body = compress(body, encoding)
    send(
        target, signal, body,
        content_type=content_type, encoding=encoding, token=token,
    )  # fmt: skip


# Protobuf requests that parse, with values at the edges of their wire types.
uint64s = st.integers(0, 2**64 - 1)
int32s = st.integers(-(2**31), 2**31 - 1)
pb_ids = st.binary(max_size=20)
pb_values = st.recursive(
    st.builds(lambda s: AnyValue(string_value=s), st.text(max_size=6))
    | st.builds(lambda i: AnyValue(int_value=i), st.integers(-(2**63), 2**63 - 1))
    | st.builds(lambda f: AnyValue(double_value=f), st.floats())
    | st.builds(lambda b: AnyValue(bytes_value=b), st.binary(max_size=4))
    | st.just(AnyValue()),
    lambda inner: (
        st.builds(
            lambda vs: AnyValue(array_value=ArrayValue(values=vs)),
            st.lists(inner, max_size=3),
        )
        | st.builds(
            lambda kvs: AnyValue(kvlist_value=KeyValueList(values=kvs)),
            st.lists(
                st.builds(KeyValue, key=st.text(max_size=4), value=inner), max_size=3
            ),
        )
    ),
    max_leaves=8,
)
pb_attributes = st.lists(
    st.builds(KeyValue, key=st.text(max_size=8), value=pb_values), max_size=3
)
pb_span = st.builds(
    Span, trace_id=pb_ids, span_id=pb_ids, parent_span_id=pb_ids,
    name=st.text(max_size=8), kind=int32s, start_time_unix_nano=uint64s,
    end_time_unix_nano=uint64s, attributes=pb_attributes,
    status=st.builds(lambda code: Status(code=code), int32s)
    | st.just(Status()),
    events=st.lists(st.builds(Span.Event, time_unix_nano=uint64s), max_size=2),
)  # fmt: skip
pb_number = st.builds(
    NumberDataPoint, time_unix_nano=uint64s, start_time_unix_nano=uint64s,
    as_int=st.integers(-(2**63), 2**63 - 1), attributes=pb_attributes,
) | st.builds(
    NumberDataPoint, time_unix_nano=uint64s, as_double=st.floats()
)  # fmt: skip
pb_histogram = st.builds(
    HistogramDataPoint, time_unix_nano=uint64s, count=uint64s,
    sum=st.floats(), bucket_counts=st.lists(uint64s, max_size=3),
    explicit_bounds=st.lists(st.floats(), max_size=2),
)  # fmt: skip
pb_metric = st.one_of(
    st.builds(lambda n, ps: Metric(name=n, gauge=Gauge(data_points=ps)),
              st.text(max_size=6), st.lists(pb_number, max_size=3)),
    st.builds(lambda ps, t: Metric(name="s", sum=Sum(data_points=ps,
                                                       aggregation_temporality=t)),
              st.lists(pb_number, max_size=3), int32s),
    st.builds(lambda ps, t: Metric(name="h", histogram=Histogram(
        data_points=ps, aggregation_temporality=t)),
        st.lists(pb_histogram, max_size=3), int32s),
)  # fmt: skip
pb_log = st.builds(
    LogRecord, time_unix_nano=uint64s, observed_time_unix_nano=uint64s,
    severity_number=int32s, severity_text=st.text(max_size=5),
    body=pb_values, attributes=pb_attributes, trace_id=pb_ids, span_id=pb_ids,
    event_name=st.text(max_size=5),
)  # fmt: skip
resources = st.builds(Resource, attributes=pb_attributes)
pb_requests = {
    "traces": st.builds(
        lambda r, s: ExportTraceServiceRequest(resource_spans=[
            ResourceSpans(resource=r, scope_spans=[ScopeSpans(spans=s)])]),
        resources, st.lists(pb_span, max_size=4),
    ),
    "metrics": st.builds(
        lambda r, m: ExportMetricsServiceRequest(resource_metrics=[
            ResourceMetrics(resource=r, scope_metrics=[ScopeMetrics(metrics=m)])]),
        resources, st.lists(pb_metric, max_size=3),
    ),
    "logs": st.builds(
        lambda r, logs: ExportLogsServiceRequest(resource_logs=[
            ResourceLogs(resource=r, scope_logs=[ScopeLogs(log_records=logs)])]),
        resources, st.lists(pb_log, max_size=4),
    ),
}  # fmt: skip


@st.composite
def signal_and_request(draw: st.DrawFn) -> tuple[str, Any]:
    """A signal and, mostly, a request of that signal."""
    signal = draw(st.sampled_from(SIGNALS))
    shape = draw(st.sampled_from([signal, signal, signal, *SIGNALS]))
    return signal, draw(pb_requests[shape])


@FUZZ
@given(
    sent=signal_and_request(),
    cut=st.none() | st.none() | st.integers(0, 200),
    encoding=encodings,
    token=tokens,
)
def test_protobuf_requests_never_cause_a_server_error(
    target: Target,
    sent: tuple[str, Any],
    cut: int | None,
    encoding: str | None,
    token: int,
) -> None:
    signal, request = sent
    body = request.SerializeToString()
    body = body if cut is None else body[:cut]
    body = compress(body, encoding) if encoding else body
    send(target, signal, body, content_type=PROTOBUF, encoding=encoding, token=token)
