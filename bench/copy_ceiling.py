"""The ingest benchmark's ceiling: the same span rows COPY'd straight in.

As ingest writes, the rows go in binary COPY format over as many connections
at once as the server has workers, each stream in one transaction, into a
plain (unpartitioned) copy of `spans` with its checks and indexes.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse.log import SPAN_COLUMNS

COPY_CHUNK = 1024 * 1024
DUMP = "COPY (SELECT {} FROM spans WHERE mod(seq, %s) = %s) TO STDOUT (FORMAT binary)"
LOAD = "COPY spans_ceiling ({}) FROM STDIN (FORMAT binary)"


def copy_ceiling(url: str, workdir: Path, streams: int) -> tuple[int, float]:
    """COPY every span row into a copy of `spans`; return rows and seconds.

    The rows are dumped to one file per stream first (untimed), so the timed
    part is only PostgreSQL parsing, inserting and indexing them.
    """
    columns = sql.SQL(", ").join(map(sql.Identifier, SPAN_COLUMNS))
    dumps = [workdir / f"spans.{part}.copy" for part in range(streams)]
    with psycopg.connect(url, autocommit=True) as conn:
        dump = sql.SQL(DUMP).format(columns)
        for part, path in enumerate(dumps):
            with (
                conn.cursor() as cur,
                cur.copy(dump, (streams, part)) as copier,
                path.open("wb") as sink,
            ):
                for chunk in copier:
                    sink.write(chunk)
        conn.execute("DROP TABLE IF EXISTS spans_ceiling")
        conn.execute("CREATE TABLE spans_ceiling (LIKE spans INCLUDING ALL)")
        with contextlib.suppress(psycopg.Error):
            conn.execute("CHECKPOINT")
    load = sql.SQL(LOAD).format(columns)

    def stream(path: Path) -> int:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            with cur.copy(load) as copier, path.open("rb") as source:
                while chunk := source.read(COPY_CHUNK):
                    copier.write(chunk)
            return cur.rowcount

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=streams) as pool:
        rows = sum(pool.map(stream, dumps))
    elapsed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE spans_ceiling")
    for path in dumps:
        path.unlink()
    return rows, elapsed
