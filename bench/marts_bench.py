"""Benchmark of the rollup pipeline: full build and incremental refresh.

    .venv/bin/python -m bench.marts_bench --spans 1000000 10000000

Builds a synthetic log shaped like real traffic straight into PostgreSQL with
generate_series (many users, teams, models and tools, some diffs, 1 % duplicate
spans, 0.5 % late spans), then for each history size: a full build of every
mart (`stereos backfill`'s path) and an incremental refresh after 100,000 new
spans. Each run is a child process, so its peak memory is its own. Uses
DATABASE_URL's server (a database `stereos_bench_marts` is recreated there) or
an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from warehouse.identity import create_customer
from warehouse.migrate import migrate

DATABASE = "stereos_bench_marts"
SPANS_PER_PAYLOAD = 500
HISTORY_DAYS = 90
CUSTOMERS = 5
INCREMENT = 100_000

PAYLOADS = """
INSERT INTO payloads (received_at, customer_id, credential_id, credential_kind,
                      signal, content_type, body)
SELECT %(t0)s::timestamptz + (p - 1) * %(step)s::interval,
       (%(customers)s::uuid[])[1 + p %% cardinality(%(customers)s::uuid[])],
       %(credential)s, 'token', 'traces', 'application/x-protobuf', '\\x00'
FROM generate_series(1, %(payloads)s) AS p
"""
# One row per span of the payloads just inserted (seq > %(after)s); the shape
# is decided by the span's number i: 1 in 100 repeats the span before it, 1 in
# 200 started ten days before it arrived, 3 in 10 are tool calls; every LLM
# span carries a response id, as real senders' do.
SPANS = """
INSERT INTO spans
SELECT p.seq, s.o, p.received_at, p.customer_id,
       md5('team' || p.customer_id || (u %% 20))::uuid,
       md5('user' || p.customer_id || u)::uuid, NULL, true,
       md5('trace' || (k / 5)), md5('span' || k),
       NULL, 'span', 1, CASE WHEN i %% 97 = 0 THEN 2 ELSE 0 END, NULL,
       t, 0, 0,
       (ARRAY['claude-code', 'codex', 'cursor', 'api-service'])[1 + u %% 4],
       'scope', kind, NULL, m.vendor, m.model,
       CASE WHEN kind = 'llm' THEN 500 + (i * 37) %% 20000 END,
       CASE WHEN kind = 'llm' THEN 50 + (i * 13) %% 2000 END,
       CASE WHEN kind = 'llm' THEN (i * 7) %% 400 END, NULL,
       CASE WHEN kind = 'llm' AND i %% 3 = 0 THEN 0.001 * (i %% 50) END,
       CASE WHEN kind = 'llm' AND i %% 3 = 0 THEN 'sent' END,
       'sess-' || u || '-' || (extract(doy FROM t)::int),
       CASE WHEN kind = 'tool' THEN (ARRAY['Bash', 'Edit', 'Read'])[1 + i %% 3] END,
       CASE WHEN kind = 'llm' THEN 'resp-' || k END,
       CASE WHEN kind = 'tool' AND i %% 10 = 1
            THEN E'--- a/f.py\\n+++ b/f.py\\n@@ -1 +1,2 @@\\n-x\\n+y\\n+z\\n' END,
       '{}'::jsonb, '{}'::jsonb, NULL, NULL
FROM payloads p
CROSS JOIN LATERAL generate_series(0, %(per)s - 1) AS s(o)
CROSS JOIN LATERAL (SELECT (p.seq - 1) * %(per)s + s.o AS i) AS n
CROSS JOIN LATERAL (
    SELECT CASE WHEN i %% 100 = 0 AND s.o > 0 THEN i - 1 ELSE i END AS k) AS dup
CROSS JOIN LATERAL (SELECT (i * 7919) %% 400 AS u) AS who
CROSS JOIN LATERAL (
    SELECT CASE WHEN i %% 10 < 6 THEN 'llm' WHEN i %% 10 < 9 THEN 'tool'
                ELSE 'other' END AS kind,
           p.received_at - CASE WHEN i %% 200 = 7 THEN interval '10 days'
                                ELSE interval '2 seconds' END AS t
) AS shape
CROSS JOIN LATERAL (
    SELECT (ARRAY['anthropic', 'anthropic', 'openai', 'openai', 'google', 'acme'])
               [1 + i %% 6] AS vendor,
           (ARRAY['claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-4o', 'gpt-4o-mini',
                  'gemini-2.5-pro', 'acme-unknown-1'])[1 + i %% 6] AS model
) AS m
WHERE p.seq > %(after)s
"""


def _admin_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from warehouse.embedded import start_embedded

    return start_embedded(Path(tempfile.mkdtemp()) / "pg")


def _fresh_database(admin: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        name = sql.Identifier(DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    url = make_conninfo(admin, dbname=DATABASE)
    with psycopg.connect(url) as conn:
        migrate(conn)
        conn.execute("SELECT stereos_ensure_partitions(now() - interval '5 months', 7)")
    return url


def _customers(url: str) -> list[uuid.UUID]:
    with psycopg.connect(url) as conn:
        return [create_customer(conn, f"Bench {n}") for n in range(CUSTOMERS)]


def add_spans(url: str, customers: list[uuid.UUID], count: int, *, days: int) -> None:
    """Append `count` spans received over the last `days` days (0: just now)."""
    payloads = max(1, count // SPANS_PER_PAYLOAD)
    span = days * 86_400 / payloads
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(max(seq), 0) FROM payloads").fetchone()
        after = row[0] if row else 0
        start = conn.execute(
            "SELECT now() - make_interval(days => %s)", (days,)
        ).fetchone()
        assert start is not None
        conn.execute(PAYLOADS, {
            "t0": start[0], "step": f"{span} seconds", "customers": customers,
            "credential": uuid.uuid4(), "payloads": payloads,
        })  # fmt: skip
        conn.execute(SPANS, {"per": SPANS_PER_PAYLOAD, "after": after})
        conn.commit()
        conn.execute("ANALYZE payloads")
        conn.execute("ANALYZE spans")
        conn.commit()


def _phase(url: str, work: Path, *, full: bool) -> tuple[float, float]:
    """(seconds, peak MiB) of one refresh in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.marts_bench", "--phase",
         "full" if full else "incremental", "--url", url, "--work", str(work)],
    )  # fmt: skip
    # ru_maxrss of the child alone, in KiB on Linux.
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"refresh failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def run_phase(url: str, work: Path, *, full: bool) -> None:
    from warehouse.lake import Lake
    from warehouse.refresh import refresh

    with psycopg.connect(url) as conn:
        refresh(conn, Lake.at(str(work / "lake")), work / "marts.duckdb", full=full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--phase", choices=["full", "incremental"])
    parser.add_argument("--url")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.phase:
        run_phase(args.url, args.work, full=args.phase == "full")
        return

    url = _fresh_database(_admin_url())
    customers = _customers(url)
    work = Path(tempfile.mkdtemp(prefix="marts-bench-"))
    have = 0
    print(f"cpus {os.cpu_count()}; work dir {work}")
    for target in sorted(args.spans):
        started = time.perf_counter()
        add_spans(url, customers, target - have, days=HISTORY_DAYS)
        have = target
        print(f"{target:>11,} spans of history generated "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
        seconds, peak = _phase(url, work, full=True)
        print(f"  full build of every mart: {seconds:.1f} s, peak {peak:.0f} MiB")
        add_spans(url, customers, INCREMENT, days=0)
        have += INCREMENT
        seconds, peak = _phase(url, work, full=False)
        print(f"  incremental after {INCREMENT:,} new spans: {seconds:.1f} s, "
              f"peak {peak:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
