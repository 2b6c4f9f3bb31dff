"""Follows the log into the lake: new rows past the watermark rebuild their days.

A run reads the payloads of one watermark window (see warehouse.watermark) and
every copy, old or new, of the identities they touch: whole traces for spans
(with the traces sharing an LLM response id, since those decide which span is
the call), dedup keys for metric points and log records. Deduplicating that
set in DuckDB gives the final rows of those identities; each day they live on,
now or before, is rewritten as (old rows of other identities) + (fresh rows).
A rerun of the same window rewrites the same files with the same rows, so
runs replace, never append, and a run killed midway is repaired by the next.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql

from warehouse import watermark
from warehouse.lake import Lake
from warehouse.log import LOG_COLUMNS, METRIC_COLUMNS, SPAN_COLUMNS

logger = logging.getLogger(__name__)

PIPELINE_LOCK = 7_301_010
TYPES = {
    "BIGINT": {
        "seq", "start_unix_nano", "end_unix_nano", "input_tokens", "output_tokens",
        "cached_tokens", "cache_creation_tokens", "time_unix_nano", "int_value",
        "count", "observed_unix_nano",
    },
    "INTEGER": {"ordinal"},
    "SMALLINT": {"kind", "status_code", "temporality", "severity_number"},
    "BOOLEAN": {"attributed", "is_monotonic"},
    "DOUBLE": {"cost_usd", "value", "sum", "min", "max"},
    "TIMESTAMPTZ": {"received_at", "start_time", "time"},
}  # fmt: skip
# Digests are kept as hex text, so the lake is readable by any Parquet reader.
EXPRESSIONS = {"dedup_key": "encode({}, 'hex')"}
EXTRAS = {"metric_points": {"point_type": "{}->>'type'"}}
EXTRA_SOURCES = {"point_type": "attributes"}
COLUMNS = {
    "spans": SPAN_COLUMNS,
    "metric_points": METRIC_COLUMNS,
    "log_records": LOG_COLUMNS,
}
# The identity whose copies are read and rewritten together, per table.
IDENTITY = {
    "spans": ("customer_id", "trace_id"),
    "metric_points": ("customer_id", "dedup_key"),
    "log_records": ("customer_id", "dedup_key"),
}
SIGNALS = {"spans": "traces", "metric_points": "metrics", "log_records": "logs"}
DEDUP_SQL = {
    "spans": "lake_spans.sql",
    "metric_points": "lake_points.sql",
    "log_records": "lake_points.sql",
}
DAY_COLUMN = {"spans": "start_time", "metric_points": "time", "log_records": "time"}

SPANS_OF_WINDOW = """
WITH touched AS (
    SELECT DISTINCT s.customer_id, s.trace_id
    FROM payloads p
    JOIN spans s ON s.received_at = p.received_at AND s.seq = p.seq
    WHERE {window} AND p.signal = 'traces'
), shared AS (
    SELECT DISTINCT o.customer_id, o.trace_id
    FROM touched t
    JOIN spans s ON s.customer_id = t.customer_id AND s.trace_id = t.trace_id
    JOIN spans o ON o.customer_id = s.customer_id AND o.response_id = s.response_id
    WHERE s.response_id IS NOT NULL AND s.span_class = 'llm'
), affected AS (
    SELECT customer_id, trace_id FROM touched
    UNION
    SELECT customer_id, trace_id FROM shared
)
SELECT {columns}
FROM spans t JOIN affected a USING (customer_id, trace_id)
"""
# TODO: a response id shared with a trace two hops away (A shares with B, B
# with C) is not followed; follow the closure if real senders ever do that.
POINTS_OF_WINDOW = """
WITH affected AS (
    SELECT DISTINCT r.customer_id, r.dedup_key
    FROM payloads p
    JOIN {table} r ON r.received_at = p.received_at AND r.seq = p.seq
    WHERE {window} AND p.signal = {signal}
)
SELECT {columns}
FROM {table} t JOIN affected a USING (customer_id, dedup_key)
"""
EVERY_ROW = "SELECT {columns} FROM {table} t"
MARK_DIRTY = "INSERT INTO pipeline_dirty_days (day) SELECT unnest(%s::date[])"


@dataclass(slots=True)
class LakeUpdate:
    """What one run changed in the lake."""

    days: set[date] = field(default_factory=set)
    rows: dict[str, int] = field(default_factory=dict)
    payloads: int = 0
    as_of: watermark.AsOf = field(default_factory=lambda: watermark.AsOf(0, None))


def update_lake(
    conn: psycopg.Connection, lake: Lake, *, full: bool = False, memory: str = "1GB"
) -> LakeUpdate:
    """Bring the lake up to the log: the next watermark window, or all of it.

    `full` clears the lake and rebuilds it from every row of the log. Takes
    the pipeline lock, so two runs never write the lake at once.
    """
    with pipeline_lock(conn), tempfile.TemporaryDirectory() as tmp:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()
        with conn.transaction():
            # One snapshot for the window and every extract.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            update = _update(conn, lake, Path(tmp), full=full, memory=memory)
    return update


@contextmanager
def pipeline_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the session lock that serialises writers of the lake and marts."""
    conn.execute("SELECT pg_advisory_lock(%s)", (PIPELINE_LOCK,))
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(%s)", (PIPELINE_LOCK,))
        conn.commit()


def _update(
    conn: psycopg.Connection, lake: Lake, tmp: Path, *, full: bool, memory: str
) -> LakeUpdate:
    window = watermark.open_window(conn, everything=full)
    payloads, seq, received_at = watermark.window_stats(conn, window)
    update = LakeUpdate(payloads=payloads)
    if payloads or full:
        with _duckdb(tmp, memory) as con:
            for table in COLUMNS:
                extract = tmp / f"{table}.csv"
                _extract(conn, table, window, extract, full=full)
                days, rows = _rewrite(con, lake, table, extract, full=full)
                update.days |= days
                update.rows[table] = rows
    if update.days:
        conn.execute(MARK_DIRTY, (sorted(update.days),))
    watermark.advance(conn, window, seq=seq, received_at=received_at)
    update.as_of = watermark.as_of(conn)
    logger.info(
        "lake: %s payloads, days rewritten %s, rows %s",
        payloads, len(update.days), update.rows,
    )  # fmt: skip
    return update


@contextmanager
def _duckdb(tmp: Path, memory: str) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [memory])
        con.execute("SET temp_directory = ?", [str(tmp / "spill")])
        con.execute("SET preserve_insertion_order = false")
        con.execute(_sql("lake_macros.sql"))
        yield con
    finally:
        con.close()


def _extract(
    conn: psycopg.Connection, table: str, window: watermark.Window, dest: Path, *,
    full: bool,
) -> None:  # fmt: skip
    """COPY the rows to rebuild from PostgreSQL into a CSV file.

    TODO: a full build of 10 M spans spends minutes here (docs/benchmarks.md);
    extract month partitions in parallel, in binary, when that target matters.
    """
    query = EVERY_ROW if full else _window_query(table)
    statement = sql.SQL(query).format(
        columns=_select_list(table),
        table=sql.Identifier(table),
        window=window.condition(),
        signal=sql.Literal(SIGNALS[table]),
    )
    copy = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(statement)
    with conn.cursor() as cur, cur.copy(copy) as rows, dest.open("wb") as out:
        for block in rows:
            out.write(block)


def _window_query(table: str) -> str:
    return SPANS_OF_WINDOW if table == "spans" else POINTS_OF_WINDOW


def _select_list(table: str) -> sql.Composable:
    items: list[sql.Composable] = []
    for name in COLUMNS[table]:
        column = sql.SQL("t.{}").format(sql.Identifier(name))
        expression = EXPRESSIONS.get(name)
        if expression is not None:
            column = sql.SQL(expression).format(column)
        items.append(column)
    for name, expression in EXTRAS.get(table, {}).items():
        source = sql.SQL("t.{}").format(sql.Identifier(EXTRA_SOURCES[name]))
        items.append(sql.SQL(expression).format(source))
    return sql.SQL(", ").join(items)


def lake_columns(table: str) -> dict[str, str]:
    """The DuckDB type of every column extracted for `table`, in order."""
    names = list(COLUMNS[table]) + list(EXTRAS.get(table, {}))
    return {name: _duck_type(name) for name in names}


def _duck_type(name: str) -> str:
    for duck_type, names in TYPES.items():
        if name in names:
            return duck_type
    return "VARCHAR"


def _rewrite(
    con: duckdb.DuckDBPyConnection, lake: Lake, table: str, extract: Path, *,
    full: bool,
) -> tuple[set[date], int]:  # fmt: skip
    """Deduplicate the extract and rewrite every day it touches."""
    # A view cannot take parameters: the path is our own temporary file and
    # the column types are constants, both quoted here.
    columns = ", ".join(
        f"{_quote(name)}: {_quote(kind)}" for name, kind in lake_columns(table).items()
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM read_csv("
        f"{_quote(str(extract))}, columns = {{{columns}}}, header = false, "
        "auto_detect = false, allow_quoted_nulls = false)"
    )
    con.execute(_sql(DEDUP_SQL[table]))
    if full:
        lake.clear(table)
        days = _dates(con, "SELECT DISTINCT day FROM fresh")
    else:
        days = _dates(con, _RAW_DAYS[table])
    keys = IDENTITY[table]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT "
        + ", ".join(keys)
        + " FROM raw"
    )
    rows = 0
    for day in sorted(days):
        merged = _merged_day(con, lake, table, day, keys, full=full)
        lake.write_day(table, day, merged)
        rows += merged.num_rows
    return days, rows


# The days any copy of a touched identity lives on: where old rows may sit.
_RAW_DAYS = {
    table: f"SELECT DISTINCT {column}::DATE FROM raw"
    for table, column in DAY_COLUMN.items()
}


def _merged_day(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: str,
    day: date,
    keys: tuple[str, ...],
    *,
    full: bool,
) -> pa.Table:
    fresh = "SELECT * EXCLUDE (day) FROM fresh WHERE day = ?"
    old = None if full else lake.read_day(table, day)
    if old is None:
        return con.sql(fresh, params=[day]).to_arrow_table()
    con.register("old_day", old)
    join = " AND ".join(f"o.{key} = k.{key}" for key in keys)
    merged = con.sql(
        "SELECT o.* FROM old_day o ANTI JOIN touched k ON "
        + join
        + " UNION ALL BY NAME "
        + fresh,
        params=[day],
    ).to_arrow_table()
    con.unregister("old_day")
    return merged


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _dates(con: duckdb.DuckDBPyConnection, query: str) -> set[date]:
    return {row[0] for row in con.execute(query).fetchall() if row[0] is not None}


def _sql(name: str) -> str:
    return (resources.files("warehouse") / "sql" / name).read_text()


def last_update(conn: psycopg.Connection) -> datetime | None:
    """When the watermark last moved (None before the first run)."""
    row = conn.execute(
        "SELECT updated_at FROM pipeline_watermarks WHERE name = %s",
        (watermark.LAKE,),
    ).fetchone()
    return None if row is None else row[0]
