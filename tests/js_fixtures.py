"""The OTLP/HTTP JSON payloads captured from the JS SDK, in ../shared/fixtures."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fix_server import LiveServer

# The checkout and shared/ sit side by side, here and in CI.
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "otlp-js"


def fixture_files() -> list[tuple[str, Path]]:
    """(signal, file) of every captured request, in capture order."""
    paths = sorted(FIXTURES.glob("*.json"))
    assert paths, f"no fixtures in {FIXTURES}"
    return [(path.stem.split("_v1_")[1], path) for path in paths]


def send_fixtures(live: LiveServer, token: str) -> None:
    """POST every captured request, as captured, and expect 200."""
    for signal, path in fixture_files():
        response = httpx.post(
            f"{live.url}/v1/{signal}",
            content=path.read_bytes(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 200, (path.name, response.text)
