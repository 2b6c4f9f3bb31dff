"""Liveness and readiness probes."""

from __future__ import annotations

import httpx

from tests.fix_server import LiveServer


def test_health_and_ready_answer_while_database_is_up(live: LiveServer) -> None:
    assert httpx.get(f"{live.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{live.url}/ready").status_code == 200
