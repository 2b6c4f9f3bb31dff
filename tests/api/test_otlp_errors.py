"""What the OTLP receivers answer to bad requests, over real HTTP.

Every refusal is a google.rpc.Status in the request's content type with a
message a sender can act on, and nothing reaches the log.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from tests.api.otlp_requests import (
    JSON,
    NOTHING,
    PROTOBUF,
    counts,
    json_request,
    json_span,
    post,
    proto_request,
    refusal,
)
from tests.factories import Tenant, make_tenant
from tests.fix_server import LiveServer
from warehouse import credentials


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
