"""What the OTLP receivers answer to bad requests, over real HTTP.

Every refusal is a google.rpc.Status in the request's content type with a
message a sender can act on, and nothing reaches the log.
"""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import psycopg
import pytest
import zstandard
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from stereos.replay import replay
from tests.factories import Tenant, make_tenant
from tests.fix_server import LiveServer, serve, server_settings
from warehouse import credentials
from warehouse.log import payloads_in_order

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TABLES = ("payloads", "spans", "metric_points", "log_records")
GIB = 1 << 30
MIB = 1 << 20


@pytest.fixture
def tenant(db: psycopg.Connection) -> Tenant:
    return make_tenant(db)


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


def test_truncated_protobuf_is_400_in_protobuf(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    whole = proto_request().SerializeToString()
    response = post(
        live.url, whole[: len(whole) - 7], token=tenant.token, content_type=PROTOBUF
    )
    assert "ExportTraceServiceRequest" in refusal(response, 400, PROTOBUF)
    assert counts(db) == NOTHING


def test_invalid_json_is_400(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    response = post(live.url, b'{"resourceSpans": [', token=tenant.token)
    assert "not valid JSON" in refusal(response, 400)
    assert counts(db) == NOTHING


@pytest.mark.parametrize(
    "document",
    [b'{"resourceSpans": "spans"}', b"[1, 2]", b'"text"', b"42"],
)
def test_wrong_top_level_types_are_400(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, document: bytes
) -> None:
    message = refusal(post(live.url, document, token=tenant.token), 400)
    assert "must be" in message
    assert counts(db) == NOTHING


def test_unreadable_span_is_a_partial_success_and_the_rest_is_kept(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    body = json_request(
        json_span("00f067aa0ba902b7"),
        json_span("00f067aa0ba902b8", startTimeUnixNano="abc"),
        json_span("00f067aa0ba902b9"),
    )
    response = post(live.url, body, token=tenant.token)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "startTimeUnixNano" in partial["errorMessage"]
    stored = db.execute("SELECT span_id FROM spans ORDER BY span_id").fetchall()
    assert stored == [("00f067aa0ba902b7",), ("00f067aa0ba902b9",)]


@pytest.mark.parametrize(
    ("span", "what"),
    [
        (json_span("00f067aa0ba902b7", kind=70000), "kind"),
        (json_span("00f067aa0ba902b7", status={"code": -40000}), "status"),
        (json_span("00f067aa0ba902b7", kind="SPAN_KIND_NONSENSE"), "kind"),
        (json_span("00f067aa0ba902b7", spanId=7), "spanId"),
        (json_span("00f067aa0ba902b7", attributes="x", events="y"), "events"),
    ],
)
def test_values_no_column_can_hold_are_rejected_per_span(
    live: LiveServer,
    tenant: Tenant,
    db: psycopg.Connection,
    span: dict[str, object],
    what: str,
) -> None:
    body = json_request(span, json_span("00f067aa0ba902b8"))
    response = post(live.url, body, token=tenant.token)
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert what in partial["errorMessage"]
    assert counts(db)["spans"] == 1


def test_protobuf_values_no_column_can_hold_are_rejected_per_span(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    request = proto_request(3)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[0].kind = 2**31 - 1  # type: ignore[assignment]  # proto3 enums are open
    spans[1].start_time_unix_nano = 2**64 - 1
    response = post(
        live.url, request.SerializeToString(), token=tenant.token, content_type=PROTOBUF
    )
    assert response.status_code == 200, response.content
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert answer.partial_success.error_message
    assert counts(db)["spans"] == 1


def gzip_of_zeros(size: int) -> bytes:
    """A valid gzip member of `size` zero bytes, made without compressing them all.

    After a full flush the deflater starts afresh, so every further mebibyte of
    zeros compresses to the same block: compress one, repeat it.
    """
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(MIB)
    block = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + block * (size // MIB) + deflater.flush() + trailer


def test_gzip_bomb_is_413_without_inflating_it(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    bomb = gzip_of_zeros(GIB)
    assert len(bomb) < 2 * MIB
    response = post(live.url, bomb, token=tenant.token, encoding="gzip")
    assert "after decompression" in refusal(response, 413)
    assert counts(db) == NOTHING


@pytest.fixture
def small(db_url: str) -> Iterator[LiveServer]:
    """A server that takes bodies of at most 1 KiB."""
    yield from serve(db_url, server_settings(max_body_bytes=1024))


def test_body_over_the_limit_is_413(
    small: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    spans = [json_span(f"{i:016x}") for i in range(20)]
    body = json_request(*spans)
    assert len(body) > 1024
    assert "larger than 1024 bytes" in refusal(
        post(small.url, body, token=tenant.token), 413
    )
    # Without a Content-Length the server counts as it reads.
    streamed = post(small.url, iter([body[:600], body[600:]]), token=tenant.token)
    assert "larger than 1024 bytes" in refusal(streamed, 413)
    packed = zlib.compress(body)
    assert len(packed) < 1024
    inflated = post(small.url, packed, token=tenant.token, encoding="deflate")
    assert "after decompression" in refusal(inflated, 413)
    assert counts(db) == NOTHING


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_unsupported_content_type_is_415(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, content_type: str
) -> None:
    response = post(
        live.url, json_request(json_span("00f067aa0ba902b7")),
        token=tenant.token, content_type=content_type,
    )  # fmt: skip
    assert "application/x-protobuf" in refusal(response, 415)
    assert counts(db) == NOTHING


def test_unsupported_content_encoding_is_415(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    response = post(live.url, b"\x00", token=tenant.token, encoding="br")
    assert "gzip" in refusal(response, 415)
    assert counts(db) == NOTHING


def test_corrupt_gzip_is_400(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    response = post(live.url, b"not gzip", token=tenant.token, encoding="gzip")
    assert "gzip" in refusal(response, 400)
    packed = zlib.compress(json_request(json_span("00f067aa0ba902b7")), wbits=31)
    response = post(live.url, packed[:-12], token=tenant.token, encoding="gzip")
    assert "truncated" in refusal(response, 400)
    assert counts(db) == NOTHING


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("deflate", zlib.compress),
        ("deflate", lambda raw: zlib.compress(raw, wbits=-zlib.MAX_WBITS)),
        ("gzip", lambda raw: zlib.compress(raw, wbits=31)),
        ("zstd", lambda raw: zstandard.ZstdCompressor().compress(raw)),
    ],
)
def test_compressed_bodies_are_accepted(
    live: LiveServer,
    tenant: Tenant,
    db: psycopg.Connection,
    encoding: str,
    pack: Callable[[bytes], bytes],
) -> None:
    raw = proto_request(2).SerializeToString()
    response = post(
        live.url, pack(raw), token=tenant.token,
        content_type=PROTOBUF, encoding=encoding,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.content == b""
    assert counts(db)["spans"] == 2
    row = db.execute("SELECT content_encoding, body FROM payloads").fetchone()
    assert row == (encoding, raw)


def test_large_bodies_are_stored_compressed_and_read_back_exactly(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, db_url: str
) -> None:
    small = proto_request(1).SerializeToString()
    large = proto_request(200).SerializeToString()
    for raw in (small, large):
        response = post(live.url, raw, token=tenant.token, content_type=PROTOBUF)
        assert response.status_code == 200
    stored = db.execute(
        "SELECT body_compression, octet_length(body) FROM payloads ORDER BY seq"
    ).fetchall()
    assert stored[0] == (None, len(small))
    assert stored[1][0] == "zstd" and stored[1][1] < len(large) / 2
    before = counts(db)

    async def read_back() -> list[bytes]:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            async with conn.transaction():
                bodies = [p.body async for p in payloads_in_order(conn)]
            count = await replay(conn)
            assert count.payloads == 2
            return bodies

    assert asyncio.run(read_back()) == [small, large]
    assert before["spans"] == 201
    assert counts(db) == before


def test_missing_token_is_401(live: LiveServer, db: psycopg.Connection) -> None:
    response = post(live.url, json_request(), token=None)
    assert "Bearer" in refusal(response, 401)
    response = post(live.url, b"", token=None, content_type=PROTOBUF)
    assert "Bearer" in refusal(response, 401, PROTOBUF)
    assert counts(db) == NOTHING


@pytest.mark.parametrize("secret", ["sk_unknown", "orb_unknown", "hunter2"])
def test_unknown_token_is_401(
    live: LiveServer, db: psycopg.Connection, secret: str
) -> None:
    body = json_request(json_span("00f067aa0ba902b7"))
    assert "unknown" in refusal(post(live.url, body, token=secret), 401)
    assert counts(db) == NOTHING


def test_revoked_token_is_401_and_writes_nothing(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    body = json_request(json_span("00f067aa0ba902b7"))
    assert post(live.url, body, token=tenant.token).status_code == 200
    db.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = %s", (tenant.token_id,)
    )
    before = counts(db)
    response = post(live.url, body, token=tenant.token, content_type=JSON)
    assert "revoked" in refusal(response, 401)
    assert counts(db) == before


def test_expired_token_is_401(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    _, expired = credentials.create_token(
        db, customer_id=tenant.customer_id, team_id=tenant.team_id, name="old",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )  # fmt: skip
    body = proto_request().SerializeToString()
    response = post(live.url, body, token=expired, content_type=PROTOBUF)
    assert "expired" in refusal(response, 401, PROTOBUF)
    assert counts(db) == NOTHING


def test_token_without_ingest_scope_is_403(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    _, reader = credentials.create_token(
        db, customer_id=tenant.customer_id, team_id=tenant.team_id, name="dash",
        scopes=("read",),
    )  # fmt: skip
    body = json_request(json_span("00f067aa0ba902b7"))
    assert "ingest" in refusal(post(live.url, body, token=reader), 403)
    assert counts(db) == NOTHING


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/v1/traces", "GET, POST"), ("/v1/metrics", "POST"), ("/v1/logs", "POST")],
)
def test_other_methods_are_405(live: LiveServer, path: str, allowed: str) -> None:
    response = httpx.put(f"{live.url}{path}", content=b"{}")
    assert "POST" in refusal(response, 405)
    assert response.headers["allow"] == allowed
    if allowed == "POST":
        assert httpx.get(f"{live.url}{path}").status_code == 405


def test_protobuf_success_is_an_empty_protobuf_body(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    body = proto_request(2).SerializeToString()
    response = post(live.url, body, token=tenant.token, content_type=PROTOBUF)
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    assert response.content == b""
    assert counts(db)["spans"] == 2


def test_protobuf_partial_success_is_an_export_response(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    request = proto_request(3)
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x01\x02\x03"
    response = post(
        live.url, request.SerializeToString(), token=tenant.token, content_type=PROTOBUF
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == PROTOBUF
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "trace_id" in answer.partial_success.error_message
    assert counts(db)["spans"] == 2


def test_json_success_is_an_empty_json_object(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    body = json_request(json_span("00f067aa0ba902b7"))
    response = post(
        live.url,
        body,
        token=tenant.token,
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {}
    assert counts(db)["spans"] == 1


def test_a_protobuf_body_sent_as_json_is_400(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    body = proto_request().SerializeToString()
    assert "JSON" in refusal(post(live.url, body, token=tenant.token), 400)
    assert counts(db) == NOTHING


def test_another_customers_token_writes_to_its_own_customer(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    other = make_tenant(db, "Globex")
    body = json_request(json_span("00f067aa0ba902b7"))
    assert post(live.url, body, token=other.token).status_code == 200
    rows = db.execute("SELECT customer_id, team_id FROM spans").fetchall()
    assert rows == [(other.customer_id, other.team_id)]


def nested_array(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"stringValue": "bottom"}
    for _ in range(depth):
        value = {"arrayValue": {"values": [value]}}
    return value


def test_deeply_nested_attribute_is_stored_cut_short(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    # 300 levels: more than any JSON writer the log uses can nest.
    deep = {"key": "deep", "value": nested_array(300)}
    body = json.dumps(
        {"resourceSpans": [{"scopeSpans": [{"spans": [
            json_span("00f067aa0ba902b7", attributes=[deep]),
        ]}]}]}
    ).encode()  # fmt: skip
    response = post(live.url, body, token=tenant.token)
    assert response.status_code == 200, response.text
    row = db.execute("SELECT attributes->'deep' FROM spans").fetchone()
    assert row is not None
    depth, value = 0, row[0]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert 0 < depth < 300
    assert value is None
