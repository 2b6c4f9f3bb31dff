"""`stereos start` end to end: API, Dagster daemon and UI, marts kept fresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.fix_server import free_port

READY_TIMEOUT_S = 60.0
# The promise: a span acknowledged at ingest is in the marts within 60 s.
FRESHNESS_S = 60.0
PASSWORD = "correct horse battery staple"


@pytest.fixture
def started(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, psutil.Process]]:
    """`stereos start` on free ports over this test's database."""
    api, ui = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "STEREOS_DATA_DIR": str(tmp_path),
        "STEREOS_PORT": str(api),
        "STEREOS_DAGSTER_PORT": str(ui),
        "STEREOS_REFRESH_INTERVAL_S": "2",
        "STEREOS_WORKERS": "1",
        "STEREOS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stereos", "start"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield (
            f"http://127.0.0.1:{api}",
            f"http://127.0.0.1:{ui}",
            psutil.Process(process.pid),
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {READY_TIMEOUT_S} s")


def _span() -> dict[str, object]:
    now = time.time_ns()
    attrs = {
        "gen_ai.operation.name": {"stringValue": "chat"},
        "gen_ai.request.model": {"stringValue": "claude-sonnet-4"},
        "gen_ai.usage.input_tokens": {"intValue": 1000},
        "gen_ai.usage.output_tokens": {"intValue": 200},
    }
    span = {
        "traceId": os.urandom(16).hex(),
        "spanId": os.urandom(8).hex(),
        "name": "chat claude-sonnet-4",
        "startTimeUnixNano": str(now),
        "endTimeUnixNano": str(now + 10**9),
        "attributes": [{"key": k, "value": v} for k, v in attrs.items()],
    }
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def _tenant(api: str) -> tuple[dict[str, str], str]:
    """Onboard over HTTP; return the admin's headers and an sk_ token."""
    onboarded = httpx.post(
        f"{api}/v1/onboarding",
        json={
            "customer_name": "Acme",
            "name": "Ada",
            "email": "ada@acme.test",
            "password": PASSWORD,
        },
    ).json()
    admin = {"Authorization": f"Bearer {onboarded['session']['token']}"}
    me = httpx.get(f"{api}/v1/auth/me", headers=admin).json()
    team = httpx.post(
        f"{api}/v1/teams",
        headers=admin,
        json={"name": "Platform", "manager_user_id": me["user"]["id"]},
    ).json()
    token = httpx.post(
        f"{api}/v1/tokens",
        headers=admin,
        json={"customer_id": me["customer_id"], "team_id": team["id"], "name": "ci"},
    ).json()["token"]
    return admin, token


def test_a_span_reaches_the_marts_within_a_minute(
    started: tuple[str, str, psutil.Process],
) -> None:
    api, ui, process = started
    _wait(f"{api}/ready")
    _wait(f"{ui}/server_info")
    admin, token = _tenant(api)

    sent = httpx.post(
        f"{api}/v1/traces", json=_span(), headers={"Authorization": f"Bearer {token}"}
    )
    acknowledged = time.monotonic()
    assert sent.status_code == 200

    totals = None
    while time.monotonic() - acknowledged < FRESHNESS_S:
        answer = httpx.get(f"{api}/v1/dashboard", headers=admin)
        if answer.status_code == 200:
            totals = answer.json()["totals_30d"]
            if totals["llm_calls"] == 1:
                break
        time.sleep(1)
    assert totals is not None and totals["llm_calls"] == 1, totals
    assert totals["input_tokens"] == 1000
    names = {child.name() for child in process.children(recursive=True)}
    assert any("dagster" in name for name in names), names
