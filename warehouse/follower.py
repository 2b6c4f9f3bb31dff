"""Follows the log into the lake: new rows past the watermark rebuild their days.

A run reads the rows of one watermark window's payloads (see
warehouse.watermark), then every other copy of the identities they touch:
whole traces for spans (with the traces sharing an LLM response id, since
those decide which span is the call), dedup keys for metric points and log
records. The lake's directory (warehouse.lake_directory) says in which months
of the log those copies live, so only those partitions are read. Deduplicating
that set in DuckDB gives the final rows of those identities; each day they
live on, now or before, is rewritten as (old rows of other identities) +
(fresh rows). A rerun of the same window rewrites the same files with the
same rows, so runs replace, never append, and a run killed midway is repaired
by the next.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from warehouse import extract, lake_directory, watermark
from warehouse.duckdb_literals import quote
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

# The rows of the window's payloads.
ROWS_OF_WINDOW = """
SELECT {columns}
FROM payloads p
JOIN {table} t ON t.received_at = p.received_at AND t.seq = p.seq
WHERE {window} AND p.signal = {signal}
"""
# Every copy of the wanted identities in the wanted receive-time ranges; the
# range is the partition key, so each probe goes to one monthly partition.
WANTED_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS pipeline_wanted (
    customer_id uuid, key {key_type}, low timestamptz, high timestamptz
) ON COMMIT DROP
"""
ROWS_OF_WANTED = """
SELECT {columns}
FROM pipeline_wanted a
JOIN {table} t ON t.customer_id = a.customer_id AND t.{key} = a.key
 AND t.received_at >= a.low AND t.received_at < a.high
"""
# TODO: a response id shared with a trace two hops away (A shares with B, B
# with C) is not followed; follow the closure if real senders ever do that.
EVERY_ROW = "SELECT {columns} FROM {table} t"
MARK_DIRTY = "INSERT INTO pipeline_dirty_days (day) SELECT unnest(%s::date[])"
# A rebuild's extract is one file per receive day, unsorted: a day of event
# time is the rows of its own receive day (found by the files' received_at
# statistics) plus the few that arrived on another day, set apart once here.
LATE_ROWS = """
CREATE OR REPLACE TEMP TABLE late AS
SELECT * FROM fresh
WHERE {day} < date_trunc('day', received_at)
   OR {day} >= date_trunc('day', received_at) + INTERVAL 1 DAY
"""
FULL_DAY = """
SELECT * FROM fresh
WHERE received_at >= ? AND received_at < ? AND {day} >= ? AND {day} < ?
UNION ALL
SELECT * FROM late WHERE {day} >= ? AND {day} < ?
"""


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
                lake_directory.register(con, lake, table)
                if full:
                    files = _extract_all(conn, con, table, tmp)
                else:
                    files = _extract_window(conn, con, lake, table, window, tmp, seq)
                days, rows = _rewrite(con, lake, table, files, full=full)
                if full:
                    lake_directory.rebuild(con, lake, table, "raw", seq=seq or 0)
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
        # A rebuild reads the extract's files once per day: parse footers once.
        con.execute("SET parquet_metadata_cache = true")
        con.execute(_sql("lake_macros.sql"))
        yield con
    finally:
        con.close()


def _extract_all(
    conn: psycopg.Connection, con: duckdb.DuckDBPyConnection, table: str, tmp: Path
) -> list[Path]:
    """Copy every row of `table` from PostgreSQL into Parquet files."""
    statement = sql.SQL(EVERY_ROW).format(
        columns=_select_list(table), table=sql.Identifier(table)
    )
    return extract.copy_table(
        conn, con, table, statement, tmp / table, lake_columns(table)
    )


def _extract_window(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: str,
    window: watermark.Window,
    tmp: Path,
    seq: int | None,
) -> list[Path]:
    """Copy the window's rows and every other copy of their identities.

    The directory names the months holding older copies (and, for spans, the
    traces sharing a response id); only those are read. The window's own
    identities enter the directory before the lake is rewritten.
    """
    if not lake_directory.is_complete(lake, table):
        _rebuild_directory(conn, con, lake, table, tmp, seq=seq or 0)
    statement = sql.SQL(ROWS_OF_WINDOW).format(
        columns=_select_list(table),
        table=sql.Identifier(table),
        window=window.condition(),
        signal=sql.Literal(SIGNALS[table]),
    )
    columns, order = lake_columns(table), DAY_COLUMN[table]
    dest = tmp / f"{table}-window.parquet"
    files = extract.copy_query(conn, con, statement, dest, columns, order)
    if not files:
        return []
    _view(con, "window_rows", files)
    wanted = lake_directory.older(con, table, "window_rows")
    files += _copies(conn, con, table, wanted, tmp / f"{table}-older.parquet")
    if table == "spans":
        _view(con, "seen_rows", files)
        wanted = lake_directory.sharing(con, "seen_rows")
        files += _copies(conn, con, table, wanted, tmp / f"{table}-shared.parquet")
    lake_directory.record(con, lake, table, "window_rows", seq=seq or 0)
    return files


def _copies(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    table: str,
    wanted: lake_directory.Wanted,
    dest: Path,
) -> list[Path]:
    """The rows of the wanted (customer, identity, month)s, less the window's."""
    if not wanted:
        return []
    key = lake_directory.KEYS[table]
    hexed = EXPRESSIONS.get(key) is not None
    conn.execute(
        sql.SQL(WANTED_TABLE).format(key_type=sql.SQL("bytea" if hexed else "text"))
    )
    conn.execute("TRUNCATE pipeline_wanted")
    with conn.cursor() as cur, cur.copy("COPY pipeline_wanted FROM STDIN") as copy:
        for customer_id, identity, month in wanted:
            low, high = lake_directory.month_range(month)
            value = bytes.fromhex(identity) if hexed else identity
            copy.write_row((customer_id, value, low, high))
    conn.execute("ANALYZE pipeline_wanted")
    statement = sql.SQL(ROWS_OF_WANTED).format(
        columns=_select_list(table),
        table=sql.Identifier(table),
        key=sql.Identifier(key),
    )
    columns, order = lake_columns(table), DAY_COLUMN[table]
    raw = dest.with_name(dest.stem + "-all.parquet")
    if not extract.copy_query(conn, con, statement, raw, columns, order):
        return []
    # Rows of the window's own payloads were read with the window already.
    con.execute(
        f"COPY (FROM read_parquet({quote(str(raw))}) "
        "ANTI JOIN (SELECT seq, ordinal FROM window_rows) USING (seq, ordinal)) "
        f"TO {quote(str(dest))} (FORMAT parquet)"
    )
    logger.info("read %s older %s identities", len(wanted), table)
    return [dest]


def _rebuild_directory(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: str,
    tmp: Path,
    *,
    seq: int,
) -> None:
    """Build the directory of a lake made before it existed, from the log."""
    logger.info("building the directory of %s from the log", table)
    key = lake_directory.KEYS[table]
    names = ["customer_id", key, "received_at"]
    if table == "spans":
        names += ["span_class", "response_id"]
    statement = sql.SQL(EVERY_ROW).format(
        columns=_select_list(table, names), table=sql.Identifier(table)
    )
    columns = {name: _duck_type(name) for name in names}
    folder = tmp / "directory"
    files = extract.copy_table(conn, con, table, statement, folder, columns)
    _view(con, "directory_rows", files)
    lake_directory.rebuild(con, lake, table, "directory_rows", seq=seq)
    lake_directory.register(con, lake, table)


def _view(con: duckdb.DuckDBPyConnection, name: str, files: list[Path]) -> None:
    # A view cannot take parameters: the paths are our own temporary files.
    paths = ", ".join(quote(str(path)) for path in files)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS "
        f"FROM read_parquet([{paths}], union_by_name = true)"
    )


def _select_list(table: str, names: list[str] | None = None) -> sql.Composable:
    """The lake's columns of `table` (or only `names`), as read from alias t."""
    items: list[sql.Composable] = []
    for name in COLUMNS[table] if names is None else names:
        column = sql.SQL("t.{}").format(sql.Identifier(name))
        expression = EXPRESSIONS.get(name)
        if expression is not None:
            column = sql.SQL(expression).format(column)
        items.append(column)
    for name, expression in EXTRAS.get(table, {}).items() if names is None else ():
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
    con: duckdb.DuckDBPyConnection, lake: Lake, table: str, files: list[Path], *,
    full: bool,
) -> tuple[set[date], int]:  # fmt: skip
    """Deduplicate the extract and rewrite every day it touches."""
    _register_raw(con, table, files)
    con.execute(_sql(DEDUP_SQL[table]))
    if full:
        lake.clear(table)
    # The days any copy of a touched identity lives on: where old rows may sit.
    days = _dates(con, f"SELECT DISTINCT {DAY_COLUMN[table]}::DATE FROM raw")
    keys = IDENTITY[table]
    if not full:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT "
            + ", ".join(keys)
            + " FROM raw"
        )
    if full:
        con.execute(LATE_ROWS.format(day=DAY_COLUMN[table]))
    rows = 0
    for day in sorted(days):
        rows += _write_day(con, lake, table, day, keys, full=full)
    return days, rows


def _register_raw(
    con: duckdb.DuckDBPyConnection, table: str, files: list[Path]
) -> None:
    if files:
        _view(con, "raw", files)
        return
    # The column types are constants.
    columns = ", ".join(f"{name} {kind}" for name, kind in lake_columns(table).items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_empty ({columns})")
    con.execute("CREATE OR REPLACE TEMP VIEW raw AS FROM raw_empty")


def _write_day(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: str,
    day: date,
    keys: tuple[str, ...],
    *,
    full: bool,
) -> int:
    """Rewrite one day: its old rows of untouched identities plus the fresh ones."""
    # A range on the event time, not a cast, so Parquet statistics skip the
    # row groups of other days.
    column = DAY_COLUMN[table]
    fresh = f"SELECT * FROM fresh WHERE {column} >= ? AND {column} < ?"
    start = datetime.combine(day, time(), UTC)
    params: list[object] = [start, start + timedelta(days=1)]
    if full:
        query = FULL_DAY.format(day=column)
        return lake.write_query(con, table, day, query, params * 3)
    if not lake.register_day(con, table, day, "old_day"):
        return lake.write_query(con, table, day, fresh, params)
    join = " AND ".join(f"o.{key} = k.{key}" for key in keys)
    query = (
        f"SELECT o.* FROM old_day o ANTI JOIN touched k ON {join} "
        f"UNION ALL BY NAME {fresh}"
    )
    return lake.write_query(con, table, day, query, params)


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
