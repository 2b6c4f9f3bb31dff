"""One LLM call reported by several spans counts once in `llm_calls`."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from tests.factories import make_tenant
from tests.fix_server import LiveServer

TRACE = "5b8efff798038103d269b633813fc60c"


def _attr(key: str, value: str | int) -> dict[str, Any]:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: value}}


def _llm_span(span_id: str, parent: str | None, **extra: str | int) -> dict[str, Any]:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 20,
        **extra,
    }
    span: dict[str, Any] = {
        "traceId": TRACE,
        "spanId": span_id,
        "name": "chat gpt-4o",
        "startTimeUnixNano": "1796312855000000000",
        "endTimeUnixNano": "1796312856000000000",
        "attributes": [_attr(k, v) for k, v in attrs.items()],
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def _send(live: LiveServer, token: str, *spans: dict[str, Any]) -> None:
    body = {"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}
    response = httpx.post(
        f"{live.url}/v1/traces",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def _calls(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT span_id, input_tokens FROM llm_calls ORDER BY span_id"
    ).fetchall()


def test_nested_instrumentations_count_once_whatever_the_arrival_order(
    live: LiveServer, db: psycopg.Connection
) -> None:
    token = make_tenant(db).token
    # The client library's span ends first, so it is exported first.
    _send(live, token, _llm_span("00000000000000b2", "00000000000000a1"))
    _send(live, token, _llm_span("00000000000000a1", None))

    assert _calls(db) == [("00000000000000a1", 100)]


def test_spans_sharing_a_response_id_count_once(
    live: LiveServer, db: psycopg.Connection
) -> None:
    token = make_tenant(db).token
    _send(
        live,
        token,
        _llm_span("00000000000000c1", None, **{"gen_ai.response.id": "chatcmpl-1"}),
        _llm_span("00000000000000c2", None, **{"gen_ai.response.id": "chatcmpl-1"}),
        _llm_span("00000000000000c3", None, **{"gen_ai.response.id": "chatcmpl-2"}),
    )

    assert _calls(db) == [("00000000000000c1", 100), ("00000000000000c3", 100)]
