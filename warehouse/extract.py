"""Copies log rows out of PostgreSQL into Parquet files DuckDB reads back.

A window's rows (a few thousand) come in one COPY. A rebuild of the whole log
cuts the receive-time range into days that worker connections COPY in
parallel, each under the snapshot the run exported, so every chunk sees the
same log as the run. A chunk arrives as CSV in a temporary file, and DuckDB
turns it into Parquet while the workers copy the next ones: memory stays
bounded by a chunk, and the deduplication reads only the columns it needs.

A rebuild's chunks are left in the order PostgreSQL sent them (sorting wide
rows cost a third of the conversion): each file holds one day of receive
time, so a filter on received_at still skips every other file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from warehouse.duckdb_literals import quote

logger = logging.getLogger(__name__)

# One chunk per day of receive time: a day of event time then lives mostly in
# one file, whose received_at statistics let the other files be skipped.
CHUNK = timedelta(days=1)
# PostgreSQL formats CSV on one core per COPY; two keep both cores of a small
# machine busy while DuckDB converts finished chunks.
WORKERS = 2
# Small row groups: a window's rows, sorted by event time, then keep the late
# ones (event days before their receive day) in groups the other days skip.
ROW_GROUP = 16_384
BOUNDS = "SELECT min(received_at), max(received_at) FROM {}"
CHUNK_ROWS = "{query} WHERE t.received_at >= {low} AND t.received_at < {high}"


def copy_query(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    query: sql.Composable,
    dest: Path,
    columns: dict[str, str],
    order_by: str,
) -> list[Path]:
    """COPY `query`'s rows into one Parquet file; none when it has no rows."""
    csv = dest.with_suffix(".csv")
    if not _copy_csv(conn, query, csv):
        csv.unlink(missing_ok=True)
        return []
    _to_parquet(con, csv, dest, columns, order_by)
    return [dest]


def copy_table(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    table: str,
    query: sql.Composable,
    folder: Path,
    columns: dict[str, str],
) -> list[Path]:
    """COPY every row `query` selects from `table` (aliased t), a day at a time.

    Call inside the REPEATABLE READ transaction of the run: the workers import
    its snapshot.
    """
    bounds = conn.execute(sql.SQL(BOUNDS).format(sql.Identifier(table))).fetchone()
    if bounds is None or bounds[0] is None:
        return []
    chunks = _chunks(bounds[0], bounds[1])
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
    assert snapshot is not None
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    with _workers(conn, snapshot[0]) as pool:
        pending = [
            (
                folder / f"{table}-{n:05d}.parquet",
                pool.submit(query, low, high, folder / f"{n:05d}.csv"),
            )
            for n, (low, high) in enumerate(chunks)
        ]
        for dest, future in pending:
            csv, wrote = future.result()
            if wrote:
                _to_parquet(con, csv, dest, columns, None)
                files.append(dest)
            csv.unlink(missing_ok=True)
    logger.info("extracted %s in %s chunks", table, len(chunks))
    return files


def _chunks(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    start = first.replace(hour=0, minute=0, second=0, microsecond=0)
    chunks = []
    while start <= last:
        chunks.append((start, start + CHUNK))
        start += CHUNK
    return chunks


class _Workers:
    """The pool's connections, one per thread, each in the run's snapshot."""

    def __init__(self, conninfo: str, snapshot: str) -> None:
        self.conninfo = conninfo
        self.snapshot = snapshot
        self.local = threading.local()
        self.opened: list[psycopg.Connection] = []
        self.lock = threading.Lock()

    def attach(self) -> None:
        conn = psycopg.connect(self.conninfo)
        with self.lock:
            self.opened.append(conn)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute(
            sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self.snapshot))
        )
        conn.execute("SET TIME ZONE 'UTC'")
        # A day's COPY is a plain range scan: compiling it costs more than
        # it saves.
        conn.execute("SET jit = off")
        self.local.conn = conn

    def copy_chunk(
        self, query: sql.Composable, low: datetime, high: datetime, csv: Path
    ) -> tuple[Path, bool]:
        chunk = sql.SQL(CHUNK_ROWS).format(
            query=query, low=sql.Literal(low), high=sql.Literal(high)
        )
        return csv, _copy_csv(self.local.conn, chunk, csv)

    def close(self) -> None:
        for conn in self.opened:
            conn.close()


@contextmanager
def _workers(conn: psycopg.Connection, snapshot: str) -> Iterator[_Pool]:
    conninfo = make_conninfo(conn.info.dsn, password=conn.info.password)
    workers = _Workers(conninfo, snapshot)
    pool = ThreadPoolExecutor(
        max_workers=WORKERS, thread_name_prefix="extract", initializer=workers.attach
    )
    try:
        yield _Pool(pool, workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        workers.close()


@dataclass(frozen=True, slots=True)
class _Pool:
    pool: ThreadPoolExecutor
    workers: _Workers

    def submit(
        self, query: sql.Composable, low: datetime, high: datetime, csv: Path
    ) -> Future[tuple[Path, bool]]:
        return self.pool.submit(self.workers.copy_chunk, query, low, high, csv)


def _copy_csv(conn: psycopg.Connection, query: sql.Composable, csv: Path) -> bool:
    """COPY the rows into `csv`; whether there were any."""
    copy = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query)
    wrote = False
    with conn.cursor() as cur, cur.copy(copy) as rows, csv.open("wb") as out:
        for block in rows:
            out.write(block)
            wrote = True
    return wrote


def _to_parquet(
    con: duckdb.DuckDBPyConnection,
    csv: Path,
    dest: Path,
    columns: dict[str, str],
    order_by: str | None,
) -> None:
    # COPY takes no parameters: the paths are our own temporary files and the
    # column types constants, both quoted here.
    types = ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in columns.items())
    order = "" if order_by is None else f" ORDER BY {order_by}"
    con.execute(
        f"COPY (SELECT * FROM read_csv({quote(str(csv))}, columns = {{{types}}}, "
        "header = false, auto_detect = false, allow_quoted_nulls = false)"
        f"{order}) TO {quote(str(dest))} "
        f"(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {ROW_GROUP})"
    )
    csv.unlink()
