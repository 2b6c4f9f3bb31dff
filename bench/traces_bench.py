"""Trace explorer benchmark: GET /v1/traces and GET /v1/traces/{id} over a big log.

Run from the repository root against a PostgreSQL server:

    .venv/bin/python -m bench.traces_bench --database-url URL [--spans 10000000]
        [--requests 300] [--keep]

It creates a scratch database (`stereos_bench_traces`), migrates it and fills
the `spans` projection straight with SQL generate_series (not over HTTP: this
measures reads), in chunks, with indexes in place as in production. The log
holds two customers; the measured one has 90% of the spans, 5 teams and 50
users, 10 spans per trace (an agent turn: a root, LLM calls, tool calls, some
with a diff, some errors) over the last 60 days. Then it serves the API in
this process on a loopback port and times, one request at a time over a
keep-alive connection, as an admin, a manager and a user: the first page of
traces, deeper pages by cursor, filtered pages, and whole traces picked at
random. It prints p50/p95/p99 per case; it asserts nothing. `--keep` keeps the
database, and a later run with the same --spans reuses it.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import psycopg
import uvicorn
from psycopg import sql
from psycopg.conninfo import make_conninfo

from api.app import create_app
from stereos.settings import Settings
from warehouse import credentials, identity
from warehouse.migrate import migrate

DATABASE = "stereos_bench_traces"
INDEX_COST_DATABASE = "stereos_bench_index_cost"
SPANS_PER_TRACE = 10
CHUNK_TRACES = 100_000
TEAMS = 5
USERS = 50
DAYS = 60

# One chunk of traces: trace n has SPANS_PER_TRACE spans, a root and children,
# all in one payload (seq = n). Start times spread evenly over DAYS days.
FILL = """
INSERT INTO spans (
    seq, ordinal, received_at, customer_id, team_id, user_id, user_ref, attributed,
    trace_id, span_id, parent_span_id, name, kind, status_code, start_time,
    start_unix_nano, end_unix_nano, service_name, scope_name, span_class,
    operation, vendor, model, input_tokens, output_tokens, cost_usd, tool_name,
    diff, attributes, resource
)
SELECT t.n, o.o, t.at, t.customer, t.team, t.usr, NULL, true,
       md5(t.n::text), lpad(to_hex(o.o + 1), 16, '0'),
       CASE WHEN o.o = 0 THEN NULL ELSE lpad('1', 16, '0') END,
       CASE WHEN o.o = 0 THEN 'invoke_agent'
            WHEN o.o %% 2 = 1 THEN 'chat' ELSE 'execute_tool' END,
       1, CASE WHEN (t.n + o.o) %% 97 = 0 THEN 2 ELSE 0 END,
       t.at + o.o * interval '50 ms',
       t.nano + o.o * 50000000, t.nano + o.o * 50000000 + 40000000,
       'agent', 'bench',
       CASE WHEN o.o = 0 THEN 'other' WHEN o.o %% 2 = 1 THEN 'llm' ELSE 'tool' END,
       CASE WHEN o.o = 0 THEN 'invoke_agent' WHEN o.o %% 2 = 1 THEN 'chat'
            ELSE 'execute_tool' END,
       CASE WHEN o.o %% 2 = 1 THEN 'anthropic' END,
       CASE WHEN o.o %% 2 = 1 THEN 'claude-sonnet-4' END,
       CASE WHEN o.o %% 2 = 1 THEN 1000 + t.n %% 500 END,
       CASE WHEN o.o %% 2 = 1 THEN 200 END,
       CASE WHEN o.o %% 2 = 1 THEN 0.01 END,
       CASE WHEN o.o > 0 AND o.o %% 2 = 0 THEN 'Edit' END,
       CASE WHEN o.o = 4 AND t.n %% 10 = 0
            THEN E'--- a/app.py\\n+++ b/app.py\\n@@ -1 +1 @@\\n-a\\n+b\\n' END,
       '{"gen_ai.system": "anthropic"}'::jsonb, '{"service.name": "agent"}'::jsonb
FROM (
    SELECT n,
           %(start)s::timestamptz + (n::float8 / %(traces)s) * %(span)s::interval AS at,
           CASE WHEN n %% 10 = 9 THEN %(other)s::uuid ELSE %(customer)s::uuid END
               AS customer,
           (%(teams)s::uuid[])[1 + n %% 5] AS team,
           (%(users)s::uuid[])[1 + n %% 50] AS usr,
           (extract(epoch FROM %(start)s::timestamptz)::bigint * 1000000000
            + ((n::float8 / %(traces)s) * %(span_s)s * 1e9)::bigint) AS nano
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
) t
CROSS JOIN generate_series(0, %(per)s - 1) AS o(o)
"""


@dataclass(frozen=True)
class World:
    customer_id: uuid.UUID
    admin_token: str
    manager_token: str
    user_token: str
    user_id: uuid.UUID


def _scratch(server_url: str, *, reuse: bool, name: str = DATABASE) -> tuple[str, bool]:
    url = make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists and reuse:
            return url, True
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))  # fmt: skip
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(url) as conn:
        migrate(conn)
    return url, False


def _people(
    conn: psycopg.Connection,
) -> tuple[uuid.UUID, list[uuid.UUID], list[uuid.UUID]]:
    customer = identity.create_customer(conn, "Bench")
    teams = [
        identity.create_team(conn, customer_id=customer, name=f"team {n}")
        for n in range(TEAMS)
    ]
    users = [
        identity.create_user(
            conn,
            customer_id=customer,
            email=f"u{n}@bench.test",
            name=f"u{n}",
            role="admin" if n == 0 else "manager" if n == 1 else "user",
            team_id=teams[n % TEAMS],
        )
        for n in range(USERS)
    ]
    return customer, teams, users


def _fill(conn: psycopg.Connection, spans: int) -> None:
    customer, teams, users = _people(conn)
    other = identity.create_customer(conn, "Other")
    traces = spans // SPANS_PER_TRACE
    start = time.time() - DAYS * 86400
    conn.execute(
        "SELECT stereos_ensure_partitions(to_timestamp(%s), %s)",
        (start, DAYS // 28 + 2),
    )
    conn.commit()
    began = time.perf_counter()
    for first in range(0, traces, CHUNK_TRACES):
        last = min(first + CHUNK_TRACES, traces) - 1
        conn.execute(FILL, {
            "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
            "traces": traces, "span": f"{DAYS} days", "span_s": DAYS * 86400,
            "other": other, "customer": customer, "teams": teams, "users": users,
            "first": first, "last": last, "per": SPANS_PER_TRACE,
        })  # fmt: skip
        conn.commit()
        done = (last + 1) * SPANS_PER_TRACE
        rate = done / (time.perf_counter() - began)
        print(f"  {done:>11,} spans written ({rate:,.0f}/s)", flush=True)
    conn.execute("ANALYZE spans")
    conn.commit()


def _world(conn: psycopg.Connection) -> World:
    row = conn.execute("SELECT id FROM customers WHERE name = 'Bench'").fetchone()
    assert row is not None
    customer = row[0]
    people = dict(conn.execute(
        "SELECT email, id FROM users WHERE customer_id = %s", (customer,)
    ).fetchall())  # fmt: skip
    team = conn.execute("SELECT id FROM teams WHERE customer_id = %s LIMIT 1",
                        (customer,)).fetchone()[0]  # fmt: skip
    tokens = []
    for email in ("u0@bench.test", "u1@bench.test", "u7@bench.test"):
        _, token = credentials.create_token(
            conn, customer_id=customer, team_id=team, name="bench",
            user_id=people[email],
        )  # fmt: skip
        tokens.append(token)
    conn.commit()
    return World(customer, *tokens, people["u7@bench.test"])


def _serve(url: str) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.model_validate({"db_pool_min": 2, "db_pool_max": 4})
    config = uvicorn.Config(
        create_app(settings, database_url=url), host="127.0.0.1", port=port,
        log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _time(case: str, requests: int, call: Callable[[], httpx.Response]) -> None:
    for _ in range(5):
        call()  # warm the pool and the caches
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    print(
        f"{case:<44} n={requests:<4} p50 {statistics.median(times):6.1f} ms"
        f"  p95 {p(0.95):6.1f} ms  p99 {p(0.99):6.1f} ms  max {times[-1]:6.1f} ms",
        flush=True,
    )


def _measure(base: str, world: World, requests: int) -> None:
    rng = random.Random(7)
    with httpx.Client(base_url=base, timeout=60) as client:

        def as_(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        def page(token: str, **params: object) -> Callable[[], httpx.Response]:
            return lambda: client.get("/v1/traces", params=params, headers=as_(token))

        first = client.get("/v1/traces", headers=as_(world.admin_token)).json()
        cursors = [first["next_cursor"]]
        for _ in range(9):
            nxt = client.get("/v1/traces", params={"cursor": cursors[-1]},
                             headers=as_(world.admin_token)).json()  # fmt: skip
            cursors.append(nxt["next_cursor"])
        trace_ids = [row["trace_id"] for row in first["items"]]
        deep = client.get("/v1/traces", params={"cursor": cursors[-1], "limit": 200},
                          headers=as_(world.admin_token)).json()  # fmt: skip
        trace_ids += [row["trace_id"] for row in deep["items"]]

        _time("traces, admin, first page (50)", requests, page(world.admin_token))
        _time("traces, admin, page 2..10 by cursor", requests,
              lambda: client.get("/v1/traces", params={"cursor": rng.choice(cursors)},
                                 headers=as_(world.admin_token)))  # fmt: skip
        _time("traces, admin, limit 200", requests, page(world.admin_token, limit=200))
        _time("traces, manager (team scope)", requests, page(world.manager_token))
        _time("traces, user (own scope)", requests, page(world.user_token))
        _time("traces, admin, user filter", requests,
              page(world.admin_token, user_id=str(world.user_id)))  # fmt: skip
        _time(
            "traces, admin, has_diff",
            requests,
            page(world.admin_token, has_diff="true"),
        )
        _time("traces, admin, has_error", requests,
              page(world.admin_token, has_error="true"))  # fmt: skip
        diffs = "/v1/diffs"
        _time("diffs, admin, first page (50)", requests,
              lambda: client.get(diffs, headers=as_(world.admin_token)))  # fmt: skip
        _time("trace tree, admin, random trace", requests,
              lambda: client.get(f"/v1/traces/{rng.choice(trace_ids)}",
                                 headers=as_(world.admin_token)))  # fmt: skip


# The indexes migration 0020 adds, by name: --index-cost times writes without them.
TRACE_INDEXES = ("spans_recent", "spans_user_recent", "spans_changes", "spans_errors")


def _index_cost(server_url: str, spans: int) -> None:
    """Seconds to write `spans` spans with and without the trace indexes."""
    for with_indexes in (True, False, True, False):
        url, _ = _scratch(server_url, reuse=False, name=INDEX_COST_DATABASE)
        with psycopg.connect(url) as conn:
            if not with_indexes:
                for name in TRACE_INDEXES:
                    conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                conn.commit()
            began = time.perf_counter()
            _fill(conn, spans)
            took = time.perf_counter() - began
        label = "with" if with_indexes else "without"
        print(f"{spans:,} spans {label} the 0020 indexes: {took:.1f} s "
              f"({spans / took:,.0f} spans/s)", flush=True)  # fmt: skip
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
            sql.Identifier(INDEX_COST_DATABASE)))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--index-cost", type=int, metavar="SPANS",
        help="only time writing SPANS spans with and without the 0020 indexes",
    )  # fmt: skip
    args = parser.parse_args()
    if args.index_cost:
        _index_cost(args.database_url, args.index_cost)
        return

    url, reused = _scratch(args.database_url, reuse=args.keep)
    with psycopg.connect(url) as conn:
        if not reused:
            print(f"writing {args.spans:,} spans ...", flush=True)
            began = time.perf_counter()
            _fill(conn, args.spans)
            print(f"built in {time.perf_counter() - began:,.0f} s", flush=True)
        count = conn.execute("SELECT count(*) FROM spans").fetchone()
        print(f"spans in the log: {count[0] if count else 0:,}", flush=True)
        world = _world(conn)
    base, server, thread = _serve(url)
    try:
        _measure(base, world, args.requests)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if not args.keep:
            with psycopg.connect(args.database_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(DATABASE)))  # fmt: skip


if __name__ == "__main__":
    main()
