"""Ingest benchmark: OTLP protobuf span batches against a running Stereos server.

Run from the repository root:

    .venv/bin/python -m bench.ingest_bench [--duration 30] [--clients 4]
        [--batch 512] [--workers 2] [--database-url URL]

It starts its own PostgreSQL (embedded, in a temporary directory) unless
--database-url names a server, where it creates a fresh database and drops it
afterwards. It then starts `stereos start` as a subprocess, drives it with
concurrent clients posting pre-built ExportTraceServiceRequest bodies, and
prints sustained spans/s, batch latency, projection lag, server memory and a
raw COPY of the same rows as the ceiling. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import multiprocessing as mp
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
import psycopg
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from bench.copy_ceiling import copy_ceiling
from bench.genai_spans import SERVICES, Template, build_template, render
from bench.processes import (
    Memory,
    cpu_seconds,
    every,
    free_port,
    machine_busy,
    postgres_tree,
    server,
    tree,
)
from bench.scratch_db import Tenant, database, make_tenant
from ingest.otlp_protobuf import fast_reader_built

MIB = 1024 * 1024
TEMPLATES_PER_CLIENT = 6
KNOWN_USERS = 40
MEMORY_SAMPLE_S = 0.1
LAG_SAMPLE_S = 0.5
TARGET_SPANS_PER_S = 30_000
TARGET_RATIO = 0.25
TARGET_MEMORY_MIB = 500

# A lock-free ctypes array of int64 shared with the client processes.
SharedInts = Any

COUNT_BATCH = """
SELECT count(*) FROM spans
WHERE customer_id = %(customer_id)s AND trace_id BETWEEN %(low)s AND %(high)s
"""
COUNT_SPANS = "SELECT count(*) FROM spans"


@dataclass(frozen=True, slots=True)
class Sent:
    """One request: when it left and was answered, its status and spans acked."""

    started: float
    finished: float
    status: int
    accepted: int


def _rejected(payload: bytes) -> int:
    if not payload:
        return 0
    reply = ExportTraceServiceResponse.FromString(payload)
    return int(reply.partial_success.rejected_spans)


def _post(
    conn: http.client.HTTPConnection, body: bytearray, headers: dict[str, str]
) -> tuple[int, bytes]:
    conn.request("POST", "/v1/traces", body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def client_main(
    index: int,
    port: int,
    token: str,
    templates: list[Template],
    window: tuple[float, float],
    acked: SharedInts,
    last_batch: SharedInts,
    out: Connection,
) -> None:
    """Post batches from `window[0]` until `window[1]`; send back what happened."""
    headers = {
        "Content-Type": "application/x-protobuf",
        "Authorization": f"Bearer {token}",
        "User-Agent": "stereos-ingest-bench/1",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    sent: list[Sent] = []
    time.sleep(max(0.0, window[0] - time.monotonic()))
    number = 0
    while time.monotonic() < window[1]:
        template = templates[number % len(templates)]
        batch_no = (index << 24) | number
        body = render(template, batch_no)
        number += 1
        started = time.monotonic()
        try:
            status, payload = _post(conn, body, headers)
        except (OSError, http.client.HTTPException):
            conn.close()
            status, payload = 0, b""
        finished = time.monotonic()
        accepted = template.spans - _rejected(payload) if status == 200 else 0
        if status == 200:
            acked[index] += accepted
            last_batch[index] = batch_no
        elif status in (0, 429, 503):
            time.sleep(0.05)
        sent.append(Sent(started, finished, status, accepted))
    out.send(sent)
    out.close()


# --- Samplers ----------------------------------------------------------------


@dataclass(slots=True)
class Lag:
    """Span rows missing for just-acknowledged batches, checked on a timer.

    The acknowledged batch number is read before the query, so every row of
    that batch must be visible to it unless projection trails the answer.
    """

    url: str
    customer_id: uuid.UUID
    batch: int
    last_batch: SharedInts
    samples: int = 0
    worst: int = 0
    missing: int = 0

    def sample(self, conn: psycopg.Connection) -> None:
        for batch_no in list(self.last_batch):
            if batch_no < 0:
                continue
            prefix = batch_no.to_bytes(4, "big").hex()
            found = conn.execute(
                COUNT_BATCH,
                {
                    "customer_id": self.customer_id,
                    "low": prefix + "0" * 24,
                    "high": prefix + "f" * 24,
                },
            ).fetchone()
            gap = self.batch - (found[0] if found else 0)
            self.samples += 1
            self.missing += gap
            self.worst = max(self.worst, gap)


@dataclass(slots=True)
class Figures:
    """Everything the run measured."""

    window_s: float = 0.0
    window_spans: int = 0
    acked_total: int = 0
    projected_total: int = 0
    ok: int = 0
    failed: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    lag: Lag | None = None
    memory: Memory | None = None
    idle_rss: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    ceiling_rows: int = 0
    ceiling_s: float = 0.0
    body_bytes: float = 0.0
    attrs_per_span: float = 0.0

    @property
    def spans_per_s(self) -> float:
        return self.window_spans / self.window_s if self.window_s else 0.0

    @property
    def ceiling_per_s(self) -> float:
        return self.ceiling_rows / self.ceiling_s if self.ceiling_s else 0.0


def templates_for(args: argparse.Namespace, tenant: Tenant) -> list[list[Template]]:
    rng = random.Random(args.seed)
    return [
        [
            build_template(rng, tenant.emails, SERVICES[c % len(SERVICES)], args.batch)
            for _ in range(TEMPLATES_PER_CLIENT)
        ]
        for c in range(args.clients)
    ]


def run(args: argparse.Namespace, workdir: Path) -> Figures:
    figures = Figures()
    with database(args.database_url, workdir) as url:
        tenant = make_tenant(url, KNOWN_USERS)
        pools = templates_for(args, tenant)
        flat = [t for pool in pools for t in pool]
        figures.body_bytes = statistics.mean(len(t.body) for t in flat)
        figures.attrs_per_span = sum(t.attributes for t in flat) / sum(
            t.spans for t in flat
        )
        port = free_port()
        with server(url, port, args.workers, workdir / "server.log") as root:
            _load(args, url, port, tenant, pools, root, figures)
        with psycopg.connect(url) as conn:
            found = conn.execute(COUNT_SPANS).fetchone()
        figures.projected_total = found[0] if found else 0
        figures.ceiling_rows, figures.ceiling_s = copy_ceiling(
            url, workdir, args.workers
        )
    return figures


def _load(
    args: argparse.Namespace,
    url: str,
    port: int,
    tenant: Tenant,
    pools: list[list[Template]],
    root: psutil.Process,
    figures: Figures,
) -> None:
    ctx = mp.get_context("fork")
    acked = ctx.Array("q", args.clients, lock=False)
    last_batch = ctx.Array("q", [-1] * args.clients, lock=False)
    start = time.monotonic() + 1.0
    measure_from = start + args.warmup
    measure_to = measure_from + args.duration
    pipes, clients = [], []
    for index in range(args.clients):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=client_main,
            args=(index, port, tenant.token, pools[index], (start, measure_to),
                  acked, last_batch, send),
        )  # fmt: skip
        proc.start()
        pipes.append(receive)
        clients.append(proc)
    try:
        _observe(args, url, tenant, root, figures, clients, last_batch,
                 (measure_from, measure_to))  # fmt: skip
        results: list[Sent] = [s for pipe in pipes for s in pipe.recv()]
    finally:
        for proc in clients:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    _tally(figures, results, measure_from, measure_to)
    figures.acked_total = int(sum(acked))


def _observe(
    args: argparse.Namespace,
    url: str,
    tenant: Tenant,
    root: psutil.Process,
    figures: Figures,
    clients: Sequence[mp.process.BaseProcess],
    last_batch: SharedInts,
    window: tuple[float, float],
) -> None:
    """Sample memory and lag during the load; account CPU over the window."""
    memory = Memory(root)
    memory.sample()
    figures.idle_rss = memory.peak_total
    lag = Lag(url, tenant.customer_id, args.batch, last_batch)
    stop = threading.Event()
    lag_conn = psycopg.connect(url, autocommit=True)
    threads = [
        every(MEMORY_SAMPLE_S, stop, memory.sample),
        every(LAG_SAMPLE_S, stop, lambda: lag.sample(lag_conn)),
    ]
    groups: dict[str, Callable[[], list[psutil.Process]]] = {
        "server": lambda: tree(root),
        "postgres": lambda: postgres_tree(url),
        "clients": lambda: [psutil.Process(p.pid) for p in clients if p.pid],
    }
    time.sleep(max(0.0, window[0] - time.monotonic()))
    before = {name: cpu_seconds(get()) for name, get in groups.items()}
    busy_before = machine_busy()
    time.sleep(max(0.0, window[1] - time.monotonic()))
    after = {name: cpu_seconds(get()) for name, get in groups.items()}
    busy_after = machine_busy()
    for proc in clients:
        proc.join(timeout=120)
    stop.set()
    for thread in threads:
        thread.join()
    lag_conn.close()
    span = window[1] - window[0]
    figures.cpu = {name: (after[name] - before[name]) / span for name in groups}
    machine = (busy_after - busy_before) / span
    figures.cpu["everything else"] = max(0.0, machine - sum(figures.cpu.values()))
    figures.memory, figures.lag = memory, lag


def _tally(figures: Figures, sent: list[Sent], start: float, end: float) -> None:
    """Count what was answered inside the measured window."""
    inside = [s for s in sent if start <= s.finished <= end]
    figures.window_s = end - start
    figures.window_spans = sum(s.accepted for s in inside)
    figures.ok = sum(1 for s in inside if s.status == 200)
    for s in inside:
        if s.status != 200:
            figures.failed[s.status] = figures.failed.get(s.status, 0) + 1
    figures.latencies_ms = [
        (s.finished - s.started) * 1000 for s in inside if s.status == 200
    ]


# --- Report --------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def command_line(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python -m bench.ingest_bench",
        f"--duration {args.duration:g}",
        f"--clients {args.clients}",
        f"--batch {args.batch}",
        f"--workers {args.workers}",
    ]
    if args.database_url:
        parts.append("--database-url URL")
    return " ".join(parts)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(args: argparse.Namespace, f: Figures) -> str:
    memory = f.memory or Memory(psutil.Process())
    lag = f.lag
    ratio = f.spans_per_s / f.ceiling_per_s if f.ceiling_per_s else 0.0
    peak_mib = memory.peak_total / MIB
    per_process = ", ".join(
        f"{name} {rss / MIB:.0f}" for name, rss in sorted(memory.peak_by_pid.values())
    )
    failed = ", ".join(f"{k or 'conn'}: {v}" for k, v in sorted(f.failed.items()))
    where = "given server" if args.database_url else "embedded, same machine"
    lines = [
        "Stereos ingest benchmark",
        f"  machine          {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 1024**3:.1f} GiB; clients, server "
        "and PostgreSQL share them",
        f"  postgresql       {where}",
        f"  load             {args.clients} clients x {args.batch}-span OTLP "
        f"protobuf batches ({f.body_bytes / 1024:.0f} KiB, "
        f"{f.attrs_per_span:.1f} attributes/span), {args.warmup:g} s warm-up, "
        f"{f.window_s:g} s measured",
        f"  server           stereos start --workers {args.workers}; protobuf "
        + (
            "traces read by the C reader"
            if fast_reader_built()
            else "read by the protobuf library (C reader not built)"
        ),
        "",
        f"spans/s sustained  {f.spans_per_s:,.0f}  ({f.window_spans:,} spans "
        f"acknowledged in the window; {f.ok} batches ok"
        + (f", failed {failed}" if failed else "")
        + ")",
        f"batch latency      p50 {percentile(f.latencies_ms, 0.5):.1f} ms, "
        f"p99 {percentile(f.latencies_ms, 0.99):.1f} ms, "
        f"max {max(f.latencies_ms, default=float('nan')):.1f} ms",
        f"projected          {f.projected_total:,} span rows for "
        f"{f.acked_total:,} spans acknowledged in the whole run "
        f"({'equal' if f.projected_total == f.acked_total else 'DIFFERENT'})",
        f"projection lag     {lag.worst if lag else 0} spans at worst "
        f"({lag.samples if lag else 0} checks of just-acknowledged batches, "
        f"{lag.missing if lag else 0} rows missing in all)",
        f"server memory      peak {peak_mib:.0f} MiB RSS summed over the process "
        f"tree (idle {f.idle_rss / MIB:.0f} MiB; per process MiB: {per_process})",
        "cpu (cores busy)   "
        + ", ".join(f"{name} {used:.2f}" for name, used in f.cpu.items()),
        "cpu per span       "
        + ", ".join(
            f"{name} {used / f.spans_per_s * 1e6:.0f} us"
            for name, used in f.cpu.items()
            if name in ("server", "postgres") and f.spans_per_s
        ),
        f"COPY ceiling       {f.ceiling_per_s:,.0f} rows/s ({f.ceiling_rows:,} "
        f"rows in {f.ceiling_s:.1f} s, {args.workers} binary COPY streams at once "
        "into a copy of spans)",
        f"ratio              {ratio:.2f} of the ceiling",
        "",
        f"targets            spans/s >= {TARGET_SPANS_PER_S:,}: "
        f"{verdict(f.spans_per_s >= TARGET_SPANS_PER_S)}; ratio >= "
        f"{TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)}; memory < "
        f"{TARGET_MEMORY_MIB} MiB: {verdict(peak_mib < TARGET_MEMORY_MIB)}",
        f"rerun              {command_line(args)}",
    ]
    return "\n".join(lines)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=512, help="spans per request")
    parser.add_argument("--workers", type=int, default=2, help="server workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to create a scratch database on "
        "(default: an embedded one in a temporary directory)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="stereos-bench-"))
    # Registered before the embedded server starts, so it runs after that
    # server's own exit hook has stopped it (exit hooks run last-in first-out).
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    figures = run(args, workdir)
    print(report(args, figures), flush=True)


if __name__ == "__main__":
    main()
