"""Building OTLP/JSON trace bodies for the trace and diff tests."""

from __future__ import annotations

from typing import Any

import httpx

BASE_NANO = 1_760_000_000_000_000_000


def attribute(key: str, value: object) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def span(
    trace_id: str,
    span_id: str,
    name: str,
    *,
    parent: str | None = None,
    start_ms: int = 0,
    duration_ms: int = 10,
    error: bool = False,
    attrs: dict[str, object] | None = None,
) -> dict[str, Any]:
    start = BASE_NANO + start_ms * 1_000_000
    body: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + duration_ms * 1_000_000),
        "attributes": [attribute(k, v) for k, v in (attrs or {}).items()],
        "status": {"code": 2 if error else 0},
    }
    if parent is not None:
        body["parentSpanId"] = parent
    return body


def body(spans: list[dict[str, Any]], service: str = "agent") -> dict[str, Any]:
    resource = {"attributes": [attribute("service.name", service)]}
    return {
        "resourceSpans": [
            {
                "resource": resource,
                "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}],
            }
        ]
    }


def post(
    url: str, token: str, spans: list[dict[str, Any]], service: str = "agent"
) -> None:
    answer = httpx.post(
        f"{url}/v1/traces",
        json=body(spans, service),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text


def get(url: str, token: str, route: str, **params: object) -> httpx.Response:
    return httpx.get(
        f"{url}{route}",
        params={k: v for k, v in params.items() if v is not None},
        headers={"Authorization": f"Bearer {token}"},
    )


def hex_id(n: int, size: int = 16) -> str:
    return f"{n:0{size * 2}x}"
