"""A live Stereos API on a loopback port, served by uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from api.app import create_app
from stereos.settings import Settings

STARTUP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens."""

    url: str
    settings: Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(database_url: str, settings: Settings) -> Iterator[LiveServer]:
    """Run the API until the generator is closed."""
    port = free_port()
    app = create_app(settings, database_url=database_url)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_settings(**overrides: object) -> Settings:
    """Settings for a test server: small pool, quick timeouts."""
    values: dict[str, object] = {
        "db_pool_min": 1,
        "db_pool_max": 4,
        "db_timeout_s": 2.0,
        "retry_after_s": 1,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def live(db_url: str) -> Iterator[LiveServer]:
    """The API on loopback, over this test's own database."""
    yield from serve(db_url, server_settings())
