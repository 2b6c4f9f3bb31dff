"""OTLP JSON as real senders shape it, through the live API into the log."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.factories import Tenant, make_user
from tests.fix_server import LiveServer
from tests.js_fixtures import fixture_files
from warehouse import credentials, identity

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def post(url: str, signal: str, body: bytes, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/{signal}",
        content=body,
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {token}",
        },
        timeout=30,
    )


def accept(url: str, signal: str, document: Any, token: str) -> None:
    """Send a document and require a full success."""
    response = post(url, signal, orjson.dumps(document), token)
    assert response.status_code == 200, response.text
    assert response.json() == {}, response.text


def rows(db: psycopg.Connection, query: str, *params: object) -> list[dict[str, Any]]:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def text(key: str, value: str) -> dict[str, Any]:
    return attr(key, {"stringValue": value})


def traces(*spans: dict[str, Any], resource: list[Any] | None = None) -> Any:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": resource or []},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
            }
        ]
    }


def span(span_id: str, name: str = "chat", **extra: Any) -> dict[str, Any]:
    return {
        "traceId": TRACE_ID,
        "spanId": span_id,
        "name": name,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        **extra,
    }


def test_js_sdk_fixtures_become_rows(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    for signal, path in fixture_files():
        response = post(live.url, signal, path.read_bytes(), tenant.token)
        assert response.status_code == 200, (path.name, response.text)
        assert response.json() == {}

    spans = rows(db, "SELECT * FROM spans ORDER BY start_unix_nano")
    assert [s["name"] for s in spans] == [
        "claude_code.interaction", "claude_code.llm_request", "claude_code.tool",
    ]  # fmt: skip
    root, llm, tool = spans
    assert llm["parent_span_id"] == root["span_id"] == "d573fab0a97b750c"
    assert llm["trace_id"] == "a9fdd5ab0b856e161d274d7e9022e70d"
    assert (llm["input_tokens"], llm["output_tokens"]) == (1200, 300)
    assert llm["attributes"]["input_tokens"] == 1200
    assert llm["start_unix_nano"] == 1796312855732000000
    assert tool["tool_name"] == "Edit"
    assert tool["diff"].startswith("--- a/a.txt")
    for row in spans:
        # The token's team wins; "user-1" is nobody this customer knows.
        assert row["team_id"] == tenant.team_id
        assert (row["user_ref"], row["attributed"]) == ("user-1", False)

    points = rows(
        db, "SELECT metric_name, attributes->>'type' AS type, value, temporality "
        "FROM metric_points ORDER BY metric_name, value",
    )  # fmt: skip
    assert [(p["metric_name"], p["type"], p["value"]) for p in points] == [
        ("claude_code.cost.usage", None, 0.0081),
        ("claude_code.lines_of_code.count", "removed", 1.0),
        ("claude_code.lines_of_code.count", "added", 2.0),
        ("claude_code.token.usage", "output", 300.0),
        ("claude_code.token.usage", "input", 1200.0),
    ]
    assert {p["temporality"] for p in points} == {1}

    logs = rows(db, "SELECT * FROM log_records ORDER BY time_unix_nano")
    assert [r["event_name"] for r in logs] == ["api_request", "tool_result"]
    request, result = logs
    assert request["body"] == "claude_code.api_request"
    assert (request["input_tokens"], request["output_tokens"]) == (1200, 300)
    assert request["cost_usd"] == pytest.approx(0.0081)
    assert request["attributes"]["duration_ms"] == 2100
    assert result["tool_name"] == "Edit"


def broadcast_token(db: psycopg.Connection, tenant: Tenant) -> str:
    _, secret = credentials.create_broadcast_credential(
        db, customer_id=tenant.customer_id, created_by=tenant.user_id
    )
    return secret


@pytest.mark.parametrize("body", [b"{}", b"", b"  \n"])
def test_openrouter_test_connection_is_an_empty_success(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection, body: bytes
) -> None:
    response = post(live.url, "traces", body, broadcast_token(db, tenant))
    assert response.status_code == 200
    assert response.json() == {}
    assert rows(db, "SELECT seq FROM payloads") == []


def openrouter_trace(trace_id: str, **metadata: str) -> Any:
    usage = [
        text("gen_ai.usage.input_tokens", "12"),
        text("gen_ai.usage.output_tokens", "7"),
        text("gen_ai.usage.total_cost", "0.00042"),
    ]
    extra = [text(f"trace.metadata.{key}", value) for key, value in metadata.items()]
    ids = {"traceId": trace_id}
    return traces(
        span(
            "1000000000000001",
            "LLM Generation",
            **ids,
            attributes=[
                text("gen_ai.request.model", "openai/gpt-4o"),
                text("gen_ai.response.id", "gen-123"),
                *usage,
                *extra,
            ],
        ),
        span(
            "1000000000000002",
            "generation",
            **ids,
            parentSpanId="1000000000000001",
            attributes=usage,
        ),
        span(
            "1000000000000003",
            "provider attempt 1",
            **ids,
            parentSpanId="1000000000000002",
            attributes=usage,
        ),
        resource=[text("service.name", "openrouter")],
    )


def test_openrouter_generation_is_one_call_with_the_roots_usage(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    trace_id = "my-own-trace-id/42"
    token = broadcast_token(db, tenant)
    accept(live.url, "traces", openrouter_trace(trace_id), token)

    assert {r["trace_id"] for r in rows(db, "SELECT trace_id FROM spans")} == {trace_id}
    calls = rows(db, "SELECT * FROM llm_calls")
    assert len(calls) == 1
    call = calls[0]
    assert call["name"] == "LLM Generation"
    assert (call["input_tokens"], call["output_tokens"]) == (12, 7)
    assert call["cost_usd"] == pytest.approx(0.00042)
    assert call["attributes"]["gen_ai.usage.input_tokens"] == "12"


def test_broadcast_rows_go_to_the_named_team_only_when_the_user_is_in_it(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    token = broadcast_token(db, tenant)
    research = identity.create_team(db, customer_id=tenant.customer_id, name="R&D")
    sales = identity.create_team(db, customer_id=tenant.customer_id, name="Sales")
    dana = make_user(db, tenant, email="dana@acme.test")
    identity.add_member(
        db, customer_id=tenant.customer_id, team_id=research, user_id=dana
    )

    def send(trace_id: str, user: str, team: uuid.UUID) -> None:
        document = openrouter_trace(trace_id)
        root = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        root["attributes"] += [
            text("user.id", user),
            text("trace.metadata.team_id", str(team)),
        ]
        accept(live.url, "traces", document, token)

    send("a" * 32, "Dana@acme.test", research)
    send("b" * 32, str(dana), sales)
    send("c" * 32, "stranger@elsewhere.test", research)
    found = rows(
        db, "SELECT trace_id, team_id, user_id, user_ref, attributed FROM spans "
        "WHERE name = 'LLM Generation' ORDER BY trace_id",
    )  # fmt: skip
    assert [(r["team_id"], r["user_id"], r["attributed"]) for r in found] == [
        (research, dana, True),
        (tenant.team_id, dana, True),
        (None, None, False),
    ]
    assert found[2]["user_ref"] == "stranger@elsewhere.test"


def test_a_tokens_team_is_forced_whatever_the_span_says(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    other = identity.create_team(db, customer_id=tenant.customer_id, name="Other")
    identity.add_member(
        db, customer_id=tenant.customer_id, team_id=other, user_id=tenant.user_id
    )
    document = traces(
        span(
            "1000000000000001",
            attributes=[
                text("trace.metadata.team_id", str(other)),
                text("user.id", tenant.email),
            ],
        ),
        span("1000000000000002", attributes=[text("team.id", str(other))]),
        resource=[text("team.id", str(other))],
    )
    accept(live.url, "traces", document, tenant.token)
    found = rows(db, "SELECT team_id, user_id, attributed FROM spans")
    assert (
        found
        == [{"team_id": tenant.team_id, "user_id": tenant.user_id, "attributed": True}]
        * 2
    )


def test_spec_json_variants_are_read(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    trace_bytes = bytes.fromhex(TRACE_ID)
    document = {
        "resource_spans": [{
            "resource": {"attributes": [text("service.name", "svc")]},
            "scope_spans": [{"scope": {"name": "lib"}, "spans": [{
                "trace_id": base64.b64encode(trace_bytes).decode(),
                "span_id": base64.b64encode(bytes(range(1, 9))).decode(),
                "parent_span_id": "",
                "name": "snake",
                "kind": "SPAN_KIND_CLIENT",
                "start_time_unix_nano": 1700000000000000000,
                "end_time_unix_nano": "1700000001000000000",
                "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
                "attributes": [
                    attr("as_text", {"intValue": "9007199254740993"}),
                    attr("as_number", {"int_value": 42}),
                    attr("ratio", {"doubleValue": "0.5"}),
                    attr("flag", {"boolValue": True}),
                    attr("nested", {"kvlistValue": {"values": [
                        attr("inner", {"kvlistValue": {"values": [
                            text("leaf", "x"),
                        ]}}),
                        attr("count", {"intValue": "3"}),
                    ]}}),
                    attr("tags", {"arrayValue": {"values": [
                        {"stringValue": "a"}, {"intValue": 2},
                        {"kvlistValue": {"values": [text("k", "v")]}},
                    ]}}),
                    attr("raw", {"bytesValue": "AAE="}),
                ],
            }]}],
        }]
    }  # fmt: skip
    accept(live.url, "traces", document, tenant.token)
    (row,) = rows(db, "SELECT * FROM spans")
    assert row["trace_id"] == TRACE_ID
    assert row["span_id"] == "0102030405060708"
    assert row["parent_span_id"] is None
    assert (row["kind"], row["status_code"], row["status_message"]) == (3, 2, "boom")
    assert row["start_unix_nano"] == 1700000000000000000
    assert row["service_name"] == "svc"
    assert row["scope_name"] == "lib"
    assert row["attributes"] == {
        "as_text": 9007199254740993,
        "as_number": 42,
        "ratio": 0.5,
        "flag": True,
        "nested.inner.leaf": "x",
        "nested.count": 3,
        "tags": ["a", 2, {"k": "v"}],
        "raw": "AAE=",
    }


def test_snake_case_metrics_and_logs_with_enum_names(
    live: LiveServer, tenant: Tenant, db: psycopg.Connection
) -> None:
    metrics = {"resource_metrics": [{"scope_metrics": [{"metrics": [{
        "name": "requests", "unit": "1",
        "sum": {
            "aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
            "is_monotonic": True,
            "data_points": [{"time_unix_nano": "1700000000000000000", "as_int": "5"}],
        },
    }]}]}]}  # fmt: skip
    logs = {"resource_logs": [{"scope_logs": [{"log_records": [{
        "time_unix_nano": "1700000000000000000",
        "severity_number": "SEVERITY_NUMBER_WARN2",
        "body": {"string_value": "careful"},
        "trace_id": TRACE_ID.upper(),
    }]}]}]}  # fmt: skip
    accept(live.url, "metrics", metrics, tenant.token)
    accept(live.url, "logs", logs, tenant.token)
    (point,) = rows(db, "SELECT * FROM metric_points")
    assert (point["temporality"], point["is_monotonic"]) == (2, True)
    assert (point["int_value"], point["value"]) == (5, 5.0)
    (record,) = rows(db, "SELECT * FROM log_records")
    assert record["severity_number"] == 14
    assert record["body"] == "careful"
    assert record["trace_id"] == TRACE_ID
