"""The DuckDB marts: built beside the published file, checked, then swapped in.

A build copies the published file to a staging file, rebuilds in it the days
the lake marked dirty (or every day, for a full build) and the profiles, and
records what it includes in `marts_meta`. Publication is one rename over the
published file, so readers see the old marts or the new ones, never half a
build, and a failed or killed build leaves the old marts serving.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import psycopg

from warehouse import marts_docs, pricing, watermark
from warehouse.duckdb_literals import quote
from warehouse.errors import CheckFailed, MartsNotBuilt
from warehouse.follower import lake_columns, pipeline_lock
from warehouse.lake import TABLES, Lake

logger = logging.getLogger(__name__)

WINDOW_DAYS = 30
KEEP_VERSIONS = 3
# name -> (how it sums, type); the rollups' measures in this order.
MEASURES = {
    "spans": ("sum({p}spans)", "BIGINT"),
    "llm_calls": ("sum({p}llm_calls)", "BIGINT"),
    "tool_calls": ("sum({p}tool_calls)", "BIGINT"),
    "errors": ("sum({p}errors)", "BIGINT"),
    "input_tokens": ("sum({p}input_tokens)", "BIGINT"),
    "output_tokens": ("sum({p}output_tokens)", "BIGINT"),
    "cached_tokens": ("sum({p}cached_tokens)", "BIGINT"),
    "cache_creation_tokens": ("sum({p}cache_creation_tokens)", "BIGINT"),
    "cost_sent_usd": ("sum({p}cost_sent_usd)", "DOUBLE"),
    "cost_computed_usd": ("sum({p}cost_computed_usd)", "DOUBLE"),
    "cost_usd": ("sum({p}cost_sent_usd + {p}cost_computed_usd)", "DOUBLE"),
    "uncosted_calls": ("sum({p}uncosted_calls)", "BIGINT"),
    "sessions": ("count(DISTINCT {p}session_id)", "BIGINT"),
    "lines_added": ("sum({p}lines_added)", "BIGINT"),
    "lines_removed": ("sum({p}lines_removed)", "BIGINT"),
}
DIRTY = "SELECT coalesce(max(id), 0), array_agg(DISTINCT day) FROM pipeline_dirty_days"
CLEAN = "DELETE FROM pipeline_dirty_days WHERE id <= %s"
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Staged:
    """A built, unpublished marts file."""

    path: Path
    published: Path
    days: tuple[date, ...]
    dirty_through: int


def staging_path(published: Path) -> Path:
    return published.with_name(published.name + ".staging")


def build(
    conn: psycopg.Connection,
    lake: Lake,
    published: Path,
    *,
    full: bool = False,
    memory: str = "1GB",
    today: date | None = None,
    progress: Progress | None = None,
) -> Staged:
    """Build the next marts into the staging file (not yet published)."""
    step = progress or (lambda _: None)
    with pipeline_lock(conn):
        row = conn.execute(DIRTY).fetchone()
        conn.commit()
        assert row is not None
        dirty_through, dirty_days = row[0], row[1] or []
        as_of = watermark.as_of(conn)
        conn.commit()
        staging = staging_path(published)
        # Without published marts to start from, only a full build is whole.
        full = full or not published.exists()
        _prepare(staging, published, full=full)
        with _open(staging, memory) as con:
            days = _days(con, lake, dirty_days, full=full)
            step(f"rebuilding {len(days)} day(s)")
            _rebuild(con, days, today=today or datetime.now(UTC).date(), step=step)
            _record(con, as_of, dirty_through, days, full=full)
            _comment(con)
    return Staged(staging, published, tuple(days), dirty_through)


def staged(published: Path) -> Staged:
    """The staged build waiting beside `published` (for a separate publish step)."""
    path = staging_path(published)
    if not path.exists():
        raise MartsNotBuilt(f"no staged marts at {path}; build them first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(
            "SELECT rebuilt_days, dirty_through FROM marts_meta"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return Staged(path, published, tuple(row[0]), row[1])


def _prepare(staging: Path, published: Path, *, full: bool) -> None:
    staging.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if not full and published.exists():
        shutil.copyfile(published, staging)


@contextmanager
def _open(path: Path, memory: str) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET memory_limit = ?", [memory])
        con.execute("SET preserve_insertion_order = false")
        yield con
        con.execute("CHECKPOINT")
    finally:
        con.close()


def register_lake(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Make lake_spans, lake_metric_points and lake_log_records views in `con`."""
    for table in TABLES:
        empty = f"empty_{table}"
        columns = ", ".join(f"{n} {t}" for n, t in _lake_schema(table).items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {empty} ({columns})")
        lake.register(con, table, empty=empty)


def _days(
    con: duckdb.DuckDBPyConnection, lake: Lake, dirty: list[date], *, full: bool
) -> list[date]:
    register_lake(con, lake)
    con.execute(_sql("marts_schema.sql"))
    if not full:
        return sorted(dirty)
    found: set[date] = set()
    for table in TABLES:
        found.update(lake.days(table))
    for table in ("usage_facts",):
        con.execute(f"DELETE FROM {table}")
    return sorted(found | set(dirty))


def _lake_schema(table: str) -> dict[str, str]:
    columns = lake_columns(table)
    if table == "spans":
        columns |= {"is_call": "BOOLEAN", "lines_added": "INTEGER"}
        columns |= {"lines_removed": "INTEGER"}
    return columns | {"day": "DATE"}


def _rebuild(
    con: duckdb.DuckDBPyConnection, days: list[date], *, today: date, step: Progress
) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE dirty (day DATE)")
    con.execute("INSERT INTO dirty SELECT unnest(?::DATE[])", [days])
    _prices(con, days)
    step("usage facts")
    con.execute(_sql("marts_facts.sql"))
    step("daily rollups")
    con.execute(_sql("marts_rollups.sql").replace("{measures}", _measures("")))
    _meta_window(con, today)
    step("profiles")
    profiles = (
        _sql("marts_profiles.sql")
        .replace("{recent}", _windowed(recent=True))
        .replace("{all_time}", _windowed(recent=False))
        .replace("{measures}", _measures("w."))
    )
    con.execute(profiles)


def _prices(con: duckdb.DuckDBPyConnection, days: list[date]) -> None:
    con.execute("DELETE FROM prices WHERE day IN (SELECT day FROM dirty)")
    wanted = con.execute(
        "SELECT DISTINCT vendor, model, day FROM ("
        " SELECT vendor, model, day FROM lake_spans WHERE is_call"
        " UNION ALL SELECT vendor, model, day FROM lake_log_records"
        " WHERE record_class = 'llm'"
        ") WHERE model IS NOT NULL AND day IN (SELECT day FROM dirty)"
    ).fetchall()
    rows = pricing.price_rows(wanted)
    if rows:
        con.executemany("INSERT INTO prices VALUES (" + ", ".join("?" * 13) + ")", rows)


def _measures(prefix: str) -> str:
    sums = [
        f"coalesce({expr.format(p=prefix)}, 0)::{kind} AS {name}"
        for name, (expr, kind) in MEASURES.items()
    ]
    # The prices behind cost_computed_usd (one version per build).
    version = f"max({prefix}price_version) AS price_version"
    return ",\n    ".join([*sums, version])


def _windowed(*, recent: bool) -> str:
    items = []
    for name, (expr, kind) in MEASURES.items():
        summed = expr.format(p="w.")
        if recent:
            summed += " FILTER (WHERE w.recent)"
            name += "_30d"
        if name.startswith("sessions"):
            # Counted apart, per profile key, in the sessions table `s`
            # (distinct counts of strings inside the big grouping are slow).
            summed = f"any_value(s.{name})"
        items.append(f"coalesce({summed}, 0)::{kind} AS {name}")
    return ",\n       ".join(items)


def _meta_window(con: duckdb.DuckDBPyConnection, today: date) -> None:
    # Profiles read the window from marts_meta; the row is completed later.
    start = today - timedelta(days=WINDOW_DAYS - 1)
    con.execute("DELETE FROM marts_meta")
    con.execute(
        "INSERT INTO marts_meta VALUES (0, NULL, now(), ?, ?, ?, 0, 0, [], false)",
        [start, today, pricing.price_version()],
    )


def _record(
    con: duckdb.DuckDBPyConnection,
    as_of: watermark.AsOf,
    dirty_through: int,
    days: list[date],
    *,
    full: bool,
) -> None:
    con.execute(
        "UPDATE marts_meta SET as_of_seq = ?, as_of_received_at = ?, "
        "built_at = now(), dirty_through = ?, days_rebuilt = ?, rebuilt_days = ?, "
        "full_build = ?",
        [as_of.seq, as_of.received_at, dirty_through, len(days), days, full],
    )


def _comment(con: duckdb.DuckDBPyConnection) -> None:
    columns = con.execute(
        "SELECT c.table_name, c.column_name FROM duckdb_columns() c "
        "JOIN duckdb_tables() t ON t.table_oid = c.table_oid "
        "WHERE t.database_name = current_database() AND NOT t.temporary "
        "ORDER BY c.table_name, c.column_index"
    ).fetchall()
    statements = [
        "COMMENT ON VIEW counted_usage IS "
        + quote("usage_facts with the figures of uncounted signals zeroed.")
    ]
    for table in sorted({table for table, _ in columns}):
        text = marts_docs.TABLES.get(table)
        if text:
            statements.append(f"COMMENT ON TABLE {table} IS {quote(text)}")
    for table, column in columns:
        note = marts_docs.column_comment(column)
        if note:
            statements.append(f"COMMENT ON COLUMN {table}.{column} IS {quote(note)}")
    # One call: a statement per column, each its own call, cost a quarter second.
    con.execute(";\n".join(statements))


def publish(conn: psycopg.Connection, staged: Staged) -> Path:
    """Swap the staged marts in and forget the days they rebuilt.

    The staged file is renamed to a versioned name, then the published path, a
    symbolic link, is atomically pointed at it. Readers resolve the link and
    open the version it names: DuckDB shares one open database per file path
    within a process, so a new path per version is what lets a long-running
    reader see the new marts while its older connections finish on the old.
    """
    with pipeline_lock(conn):
        version = staged.published.with_name(
            f"{staged.published.stem}-{time.time_ns()}{staged.published.suffix}"
        )
        os.replace(staged.path, version)
        link = staged.published.with_name(f".{staged.published.name}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(version.name)
        os.replace(link, staged.published)
        conn.execute(CLEAN, (staged.dirty_through,))
        conn.commit()
        _prune(staged.published)
    logger.info("marts published: %s day(s) rebuilt", len(staged.days))
    return version


def _prune(published: Path) -> None:
    # Readers still holding an older version keep their open file; the names
    # of all but the newest few go.
    pattern = f"{published.stem}-*{published.suffix}"
    versions = sorted(published.parent.glob(pattern), key=lambda p: p.name)
    for old in versions[:-KEEP_VERSIONS]:
        old.unlink(missing_ok=True)


def current_version(published: Path) -> Path:
    """The versioned file the published path points at."""
    if not published.exists():
        raise MartsNotBuilt(
            f"no marts at {published}; start the pipeline or run `stereos backfill`"
        )
    return published.resolve()


def read_only(published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published marts."""
    con = duckdb.connect(str(current_version(published)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def ensure_checked(failures: list[str]) -> None:
    """Raise CheckFailed naming every failure, if any."""
    if failures:
        raise CheckFailed("marts not published: " + "; ".join(failures))


def _sql(name: str) -> str:
    return (resources.files("warehouse") / "sql" / name).read_text()
