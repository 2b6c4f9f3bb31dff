"""`stereos backfill` rebuilds the marts from the log; `stereos sql` reads them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pyarrow.parquet as pq

from tests.factories import make_tenant
from tests.fix_log import Sender, Span, days_ago, write


def _stereos(db_url: str, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "STEREOS_DATA_DIR": str(data),
        "STEREOS_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "stereos", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_backfill_then_sql_as_table_csv_and_parquet(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    tenant = make_tenant(db)
    ada = Sender(tenant.customer_id, tenant.team_id, tenant.user_id)
    write(db_url, ada, [Span("t1", "a", days_ago(1)), Span("t1", "b", days_ago(2))])

    done = _stereos(db_url, tmp_path, "backfill", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "rebuilt 2 day(s)" in done.stdout

    query = "SELECT sum(spans) AS spans, sum(llm_calls) AS calls FROM customer_daily"
    table = _stereos(db_url, tmp_path, "sql", query)
    assert table.stdout.splitlines()[0].split() == ["spans", "|", "calls"]
    assert table.stdout.splitlines()[2].split() == ["2", "|", "2"]
    csv = _stereos(db_url, tmp_path, "sql", query, "--format", "csv")
    assert csv.stdout == "spans,calls\n2,2\n"
    out = tmp_path / "out.parquet"
    _stereos(
        db_url, tmp_path, "sql", query, "--format", "parquet", "--output", str(out)
    )
    assert pq.read_table(out).to_pylist() == [{"spans": 2, "calls": 2}]


def test_sql_refuses_writes_and_other_files(db_url: str, tmp_path: Path) -> None:
    assert _stereos(db_url, tmp_path, "backfill", "--no-progress").returncode == 0

    write_attempt = _stereos(db_url, tmp_path, "sql", "DELETE FROM customer_daily")
    assert write_attempt.returncode != 0
    assert "read-only" in write_attempt.stderr.lower()
    read_file = _stereos(db_url, tmp_path, "sql", "SELECT * FROM '/etc/passwd'")
    assert read_file.returncode != 0


def test_a_backfill_killed_midway_leaves_the_marts_and_the_next_run_converges(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    tenant = make_tenant(db)
    ada = Sender(tenant.customer_id, tenant.team_id, tenant.user_id)
    write(db_url, ada, [Span("t1", "a", days_ago(1))])
    assert _stereos(db_url, tmp_path, "backfill", "--no-progress").returncode == 0
    query = "SELECT sum(spans) FROM customer_daily"
    assert _stereos(db_url, tmp_path, "sql", query, "--format", "csv").stdout == (
        "sum(spans)\n1\n"
    )

    write(db_url, ada, [Span("t2", "b", days_ago(3)), Span("t2", "c", days_ago(4))])
    env = {**os.environ, "DATABASE_URL": db_url, "STEREOS_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "stereos", "backfill", "--no-progress"], env=env
    )
    staging = tmp_path / "marts" / "stereos.duckdb.staging"
    while not staging.exists() and child.poll() is None:
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL  # killed while building the marts

    before = _stereos(db_url, tmp_path, "sql", query, "--format", "csv")
    assert before.stdout == "sum(spans)\n1\n"
    assert _stereos(db_url, tmp_path, "backfill", "--no-progress").returncode == 0
    after = _stereos(db_url, tmp_path, "sql", query, "--format", "csv")
    assert after.stdout == "sum(spans)\n3\n"
