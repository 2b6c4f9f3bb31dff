"""The C reader of trace requests against the protobuf library's path.

For any body, `read_traces` must either build exactly the records that
`decode_with_protobuf` builds, or decline (None) so that path decides. The
tests check that on what real senders send, on random requests of every
shape the schema allows, and on corrupted bytes; and that it declines what
it does not handle exactly rather than guess.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace as trace_api
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import (
    ResourceSpans,
    ScopeSpans,
    Span,
    Status,
)
from opentelemetry.sdk.resources import Resource as SdkResource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from bench.genai_spans import SERVICES, build_template, render
from ingest import otlp_protobuf
from ingest.errors import UndecodableBody
from ingest.records import Origin, SpanRecord

pytestmark = pytest.mark.skipif(
    not otlp_protobuf.fast_reader_built(),
    reason="ingest._otlp_traces was not built (no C compiler at install)",
)
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TRACE_ID = bytes(range(16))
SPAN_ID = bytes(range(1, 9))


def fast(body: bytes) -> list[SpanRecord] | None:
    """What the C reader makes of `body` on its own (None: declined)."""
    assert otlp_protobuf.READ_TRACES is not None
    return otlp_protobuf.READ_TRACES(body, Origin, SpanRecord)


def protobuf_path(body: bytes) -> list[SpanRecord] | None:
    """The protobuf path's records, or None when it rejects anything."""
    try:
        decoded = otlp_protobuf.decode_with_protobuf("traces", body)
    except UndecodableBody:
        return None
    return decoded.items if decoded.rejected == 0 else None


def assert_same_or_declined(body: bytes) -> list[SpanRecord] | None:
    read = fast(body)
    if read is not None:
        assert read == protobuf_path(body)
    return read


def request(*spans: Span, resource: list[KeyValue] | None = None) -> bytes:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=resource or []),
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(name="lib", version="1.0"),
                        spans=list(spans),
                    )
                ],
            )
        ]
    ).SerializeToString()


def a_span(**fields: Any) -> Span:
    return Span(trace_id=TRACE_ID, span_id=SPAN_ID, name="chat", **fields)


def test_the_sdk_exporters_bodies_read_the_same_as_through_protobuf() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=SdkResource.create({"service.name": "svc", "deployment": "prod"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("app.llm", "2.1")
    with (
        tracer.start_as_current_span("invoke_agent", kind=trace_api.SpanKind.SERVER),
        tracer.start_as_current_span("chat gpt-4o") as chat,
    ):
        chat.set_attribute("gen_ai.request.model", "gpt-4o")
        chat.set_attribute("gen_ai.usage.input_tokens", 120)
        chat.set_attribute("gen_ai.response.finish_reasons", ["stop", "length"])
        chat.set_attribute("temperature", 0.2)
        chat.set_attribute("stream", False)
        chat.add_event("gen_ai.choice", {"index": 0})
        chat.set_status(trace_api.Status(trace_api.StatusCode.ERROR, "timeout"))
    body = encode_spans(exporter.get_finished_spans()).SerializeToString()

    read = fast(body)

    assert read is not None
    assert read == protobuf_path(body)
    chat_record = next(r for r in read if r.name == "chat gpt-4o")
    assert chat_record.attributes["gen_ai.response.finish_reasons"] == [
        "stop",
        "length",
    ]
    assert chat_record.status_code == 2
    assert chat_record.status_message == "timeout"
    assert chat_record.events[0]["attributes"] == {"index": 0}
    assert chat_record.origin.scope_name == "app.llm"


def test_the_benchmarks_genai_requests_read_the_same_as_through_protobuf() -> None:
    rng = random.Random(3)
    emails = [f"user{i}@example.test" for i in range(5)]
    for batch in range(4):
        template = build_template(rng, emails, SERVICES[batch % len(SERVICES)], 128)
        body = bytes(render(template, batch))

        read = fast(body)

        assert read is not None and len(read) == 128
        assert read == protobuf_path(body)


def test_every_kind_of_value_reads_as_the_protobuf_path_flattens_it() -> None:
    nested = KeyValueList(
        values=[
            KeyValue(key="team_id", value=AnyValue(string_value="t-1")),
            KeyValue(key="empty", value=AnyValue(string_value="")),
            KeyValue(key="inner", value=AnyValue(kvlist_value=KeyValueList(values=[
                KeyValue(key="level", value=AnyValue(int_value=-3)),
            ]))),
        ]
    )  # fmt: skip
    body = request(
        a_span(
            attributes=[
                KeyValue(key="trace.metadata", value=AnyValue(kvlist_value=nested)),
                KeyValue(
                    key="tags",
                    value=AnyValue(
                        array_value=ArrayValue(
                            values=[
                                AnyValue(string_value="a"),
                                AnyValue(bool_value=True),
                                AnyValue(kvlist_value=nested),
                                AnyValue(),
                            ]
                        )
                    ),
                ),
                KeyValue(key="ratio", value=AnyValue(double_value=-0.5)),
                KeyValue(key="blob", value=AnyValue(bytes_value=b"\x00\x01\xfe")),
                KeyValue(key="zero", value=AnyValue(int_value=0)),
                KeyValue(key="unset", value=AnyValue()),
                KeyValue(key="no value"),
                KeyValue(value=AnyValue(string_value="no key")),
                KeyValue(key="zero", value=AnyValue(string_value="later wins")),
            ],
            links=[Span.Link(trace_id=b"\x01\x02", span_id=b"", trace_state="k=v")],
            parent_span_id=b"\x07" * 5,
        ),
        resource=[KeyValue(key="service.name", value=AnyValue(string_value="svc"))],
    )

    read = fast(body)

    assert read is not None
    assert read == protobuf_path(body)
    (record,) = read
    assert record.attributes["trace.metadata.inner.level"] == -3
    assert record.attributes["blob"] == "AAH+"
    assert record.attributes["zero"] == "later wins"
    assert record.attributes["unset"] is None
    assert record.parent_span_id is None
    assert record.links == [{"trace_id": "0102", "span_id": "", "attributes": {}}]


def wrapped(span: bytes) -> bytes:
    """A request of one resource block, one scope block and this span's bytes."""
    return _len_field(1, _len_field(2, _len_field(2, span)))


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("a span id of 7 bytes", request(Span(trace_id=TRACE_ID, span_id=b"1234567"))),
        ("a kind past int16", request(a_span(kind=40_000))),
        ("a start time past int64", request(a_span(start_time_unix_nano=2**63))),
        ("a resource entity reference", ExportTraceServiceRequest(
            resource_spans=[ResourceSpans(
                resource=Resource(entity_refs=[{"type": "host"}]),
                scope_spans=[ScopeSpans(spans=[a_span()])],
            )]
        ).SerializeToString()),
        ("a key given as a string-table index",
         request(a_span(attributes=[KeyValue(key_strindex=3)]))),
        # Field 99 as a varint, then a group (wire type 3) as field 100.
        ("an unknown field", wrapped(a_span().SerializeToString() + b"\x98\x06\x01")),
        ("a group", wrapped(a_span().SerializeToString() + b"\xa3\x06\xa4\x06")),
        ("a status code past int16", request(a_span(status=Status(code=40_000)))),
        ("a truncated span", wrapped(a_span().SerializeToString()[:-2])),
    ],
)  # fmt: skip
def test_what_it_does_not_handle_exactly_is_declined(case: str, body: bytes) -> None:
    assert fast(body) is None, case
    # decode still answers, through the protobuf path.
    try:
        through_decode = otlp_protobuf.decode("traces", body)
    except UndecodableBody:
        with pytest.raises(UndecodableBody):
            otlp_protobuf.decode_with_protobuf("traces", body)
    else:
        assert through_decode == otlp_protobuf.decode_with_protobuf("traces", body)


def test_invalid_utf8_anywhere_is_left_to_protobuf_which_rejects_it() -> None:
    good = request(a_span(trace_state="ok=1"))
    bad = good.replace(b"ok=1", b"ok\xff1")

    assert fast(bad) is None
    with pytest.raises(UndecodableBody):
        otlp_protobuf.decode("traces", bad)


def test_a_resource_sent_twice_in_one_block_is_left_to_protobuf() -> None:
    # Protobuf merges a repeated singular message field; the reader declines.
    block = _len_field(
        1, Resource(attributes=[KeyValue(key="a")]).SerializeToString()
    ) + _len_field(1, Resource(attributes=[KeyValue(key="b")]).SerializeToString())
    body = _len_field(1, block)

    assert fast(body) is None
    assert otlp_protobuf.decode("traces", body).items == []


# Random requests over the whole trace schema.
texts = st.text(max_size=6)
any_values = st.recursive(
    st.one_of(
        st.builds(lambda v: AnyValue(string_value=v), texts),
        st.builds(lambda v: AnyValue(int_value=v), st.integers(-(2**63), 2**63 - 1)),
        st.builds(lambda v: AnyValue(double_value=v), st.floats(allow_nan=False)),
        st.builds(lambda v: AnyValue(bool_value=v), st.booleans()),
        st.builds(lambda v: AnyValue(bytes_value=v), st.binary(max_size=7)),
        st.just(AnyValue()),
    ),
    lambda inner: st.one_of(
        st.builds(
            lambda v: AnyValue(array_value=ArrayValue(values=v)),
            st.lists(inner, max_size=3),
        ),
        st.builds(
            lambda kvs: AnyValue(kvlist_value=KeyValueList(values=kvs)),
            st.lists(st.builds(KeyValue, key=texts, value=inner), max_size=3),
        ),
    ),
    max_leaves=10,
)
key_values = st.lists(
    st.builds(KeyValue, key=st.sampled_from(["a", "a.b", "b", "x"]) | texts,
              value=any_values),
    max_size=5,
)  # fmt: skip
ids = st.binary(min_size=16, max_size=16) | st.binary(max_size=17)
span_ids = st.binary(min_size=8, max_size=8) | st.binary(max_size=9)
events = st.builds(
    Span.Event,
    time_unix_nano=st.integers(0, 2**64 - 1),
    name=texts,
    attributes=key_values,
    dropped_attributes_count=st.integers(0, 2**32 - 1),
)
links = st.builds(
    Span.Link, trace_id=ids, span_id=span_ids, trace_state=texts,
    attributes=key_values, flags=st.integers(0, 2**32 - 1),
)  # fmt: skip
spans = st.builds(
    Span,
    trace_id=ids,
    span_id=span_ids,
    parent_span_id=span_ids,
    trace_state=texts,
    name=texts,
    kind=st.integers(0, 5) | st.integers(-(2**31), 2**31 - 1),
    start_time_unix_nano=st.integers(0, 2**64 - 1),
    end_time_unix_nano=st.integers(0, 2**63 - 1),
    attributes=key_values,
    events=st.lists(events, max_size=2),
    links=st.lists(links, max_size=2),
    status=st.builds(Status, message=texts, code=st.integers(0, 2)),
    flags=st.integers(0, 2**32 - 1),
)
requests = st.builds(
    ExportTraceServiceRequest,
    resource_spans=st.lists(
        st.builds(
            ResourceSpans,
            resource=st.builds(Resource, attributes=key_values),
            scope_spans=st.lists(
                st.builds(
                    ScopeSpans,
                    scope=st.builds(
                        InstrumentationScope, name=texts, version=texts,
                        attributes=key_values,
                    ),
                    spans=st.lists(spans, max_size=3),
                    schema_url=texts,
                ),
                max_size=2,
            ),
            schema_url=texts,
        ),
        max_size=2,
    ),
)  # fmt: skip


@EXAMPLES
@given(requests)
def test_random_requests_read_the_same_or_are_declined(
    message: ExportTraceServiceRequest,
) -> None:
    body = message.SerializeToString()

    read = assert_same_or_declined(body)

    if read is None:
        # Declined only where the protobuf path rejects a span.
        assert protobuf_path(body) is None


@EXAMPLES
@given(requests, st.data())
def test_corrupted_bodies_are_never_read_differently(
    message: ExportTraceServiceRequest, data: st.DataObject
) -> None:
    body = bytearray(message.SerializeToString())
    if body:
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(body) - 1))
            body[at] = data.draw(st.integers(0, 255))
        body = body[: data.draw(st.integers(0, len(body)))]

    assert_same_or_declined(bytes(body))


@EXAMPLES
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_never_read_differently(body: bytes) -> None:
    assert_same_or_declined(body)
