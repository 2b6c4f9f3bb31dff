"""CPU time per span of ingest's Python side, without HTTP: decode, rows, COPY.

Run from the repository root:

    .venv/bin/python -m bench.prepare_bench [--rounds 7] [--templates 6]
        [--batch 512] [--seed 7] [--database-url URL | --no-database]

It builds the ingest benchmark's own request templates (bench/genai_spans.py,
the first client's pool, same seed), then, for every round and template,
stamps fresh ids into the body and times each step of the request path with
`time.process_time` (CPU of this process only):

- decode: `ingest.otlp_protobuf.decode`, protobuf bytes to records;
- rows: `ingest.rows.rows`, normalisation and JSON text of every span;
- attribute: `stereos.ingestion.attribute`, the users named, resolved in SQL;
- copy: `warehouse.log.write_projection`, the projection COPY, in a
  transaction that is rolled back (nothing is kept).

The database steps run against an embedded PostgreSQL in a temporary
directory, or a scratch database on `--database-url`'s server (dropped
afterwards); `--no-database` skips them. When the COPY's backend runs on this
machine its CPU time is shown as well, in steps of the kernel's clock tick
(10 ms over a round of 3,072 rows: about 3 µs per span). Figures are the
median over rounds of each step's µs per span; other load on the machine
inflates them, so compare runs made under the same conditions. It prints
figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg

from bench.genai_spans import SERVICES, Template, build_template, render
from bench.ingest_bench import KNOWN_USERS, TEMPLATES_PER_CLIENT
from bench.scratch_db import database, make_tenant
from ingest import otlp_protobuf
from ingest.rows import Row, rows
from stereos.ingestion import attribute
from warehouse.log import PayloadMeta, write_projection

STEPS = ("decode", "rows", "attribute", "copy", "copy (postgres)")
# Emails as bench.ingest_bench.make_tenant creates them, for --no-database.
EMAILS = tuple(f"user{i:03d}@benchcorp.test" for i in range(KNOWN_USERS))
SEQ_BASE = 1_000_000_000


@dataclass(slots=True)
class Rounds:
    """Per round, CPU seconds of each step and the spans it handled."""

    spans: int = 0
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, round_no: int, step: str, seconds: float) -> None:
        per_round = self.seconds.setdefault(step, [])
        while len(per_round) <= round_no:
            per_round.append(0.0)
        per_round[round_no] += seconds

    def micros(self, step: str) -> float:
        """The median over rounds of the step's CPU µs per span."""
        return statistics.median(self.seconds[step]) / self.spans * 1e6


def templates(args: argparse.Namespace, emails: Sequence[str]) -> list[Template]:
    """The first client's pool, as bench.ingest_bench builds it."""
    rng = random.Random(args.seed)
    return [
        build_template(rng, emails, SERVICES[0], args.batch)
        for _ in range(args.templates)
    ]


def prepare_rounds(
    args: argparse.Namespace, pool: Sequence[Template], found: Rounds
) -> list[list[Row]]:
    """Time decode and rows; return the last round's rows of each template."""
    last: list[list[Row]] = []
    for round_no in range(args.rounds):
        last = []
        for batch_no, template in enumerate(pool, start=round_no * len(pool)):
            body = bytes(render(template, batch_no))
            started = time.process_time()
            decoded = otlp_protobuf.decode("traces", body)
            decoded_at = time.process_time()
            built = list(rows(decoded))
            found.add(round_no, "decode", decoded_at - started)
            found.add(round_no, "rows", time.process_time() - decoded_at)
            last.append(built)
    return last


async def database_rounds(
    args: argparse.Namespace,
    url: str,
    customer_id: uuid.UUID,
    built: Sequence[list[Row]],
    found: Rounds,
) -> None:
    """Time attribution and the projection COPY, rolled back each time."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        backend = _local_backend(conn.info.backend_pid)
        for round_no in range(args.rounds):
            for index, batch in enumerate(built):
                seq = SEQ_BASE + round_no * len(built) + index
                seconds = await _one_batch(
                    conn, backend=backend, customer_id=customer_id, seq=seq, rows=batch
                )
                for step, value in seconds.items():
                    found.add(round_no, step, value)


async def _one_batch(
    conn: psycopg.AsyncConnection,
    *,
    backend: psutil.Process | None,
    customer_id: uuid.UUID,
    seq: int,
    rows: list[Row],
) -> dict[str, float]:
    async with conn.transaction(force_rollback=True):
        started = time.process_time()
        attributed = await attribute(
            conn,
            customer_id=customer_id,
            credential_kind="token",
            team_id=None,
            user_id=None,
            rows=rows,
        )
        attributed_at = time.process_time()
        before = _cpu(backend)
        await write_projection(conn, seq=seq, meta=_meta(customer_id), rows=attributed)
        return {
            "attribute": attributed_at - started,
            "copy": time.process_time() - attributed_at,
            "copy (postgres)": _cpu(backend) - before,
        }


def _meta(customer_id: uuid.UUID) -> PayloadMeta:
    return PayloadMeta(
        received_at=datetime.now(UTC),
        customer_id=customer_id,
        team_id=None,
        credential_id=uuid.uuid4(),
        credential_kind="token",
        signal="traces",
        content_type="application/x-protobuf",
        content_encoding=None,
        source="prepare_bench",
    )


def _local_backend(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        return proc if "postgres" in proc.name() else None
    except psutil.Error:
        return None


def _cpu(proc: psutil.Process | None) -> float:
    if proc is None:
        return 0.0
    times = proc.cpu_times()
    return float(times.user + times.system)


def report(args: argparse.Namespace, found: Rounds, steps: Sequence[str]) -> str:
    lines = [
        f"spans per round    {found.spans:,} ({args.templates} templates of "
        f"{args.batch}), {args.rounds} rounds, median of rounds",
    ]
    python = 0.0
    for step in steps:
        if step not in found.seconds:
            continue
        micros = found.micros(step)
        if step != "copy (postgres)":
            python += micros
        lines.append(f"{step:<18} {micros:6.1f} µs/span")
    lines.append(f"{'python total':<18} {python:6.1f} µs/span")
    lines.append(f"rerun              {command_line(args)}")
    return "\n".join(lines)


def command_line(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python -m bench.prepare_bench",
        f"--rounds {args.rounds}",
        f"--templates {args.templates}",
        f"--batch {args.batch}",
        f"--seed {args.seed}",
    ]
    if args.no_database:
        parts.append("--no-database")
    elif args.database_url:
        parts.append("--database-url URL")
    return " ".join(parts)


def run(args: argparse.Namespace, workdir: Path) -> Rounds:
    found = Rounds()
    if args.no_database:
        pool = templates(args, EMAILS)
        found.spans = sum(t.spans for t in pool)
        prepare_rounds(args, pool, found)
        return found
    with database(args.database_url, workdir) as url:
        tenant = make_tenant(url, KNOWN_USERS)
        pool = templates(args, tenant.emails)
        found.spans = sum(t.spans for t in pool)
        built = prepare_rounds(args, pool, found)
        asyncio.run(database_rounds(args, url, tenant.customer_id, built, found))
    return found


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.prepare_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--templates", type=int, default=TEMPLATES_PER_CLIENT)
    parser.add_argument("--batch", type=int, default=512, help="spans per request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-database", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="stereos-prepare-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    found = run(args, workdir)
    print(report(args, found, STEPS), flush=True)


if __name__ == "__main__":
    main()
