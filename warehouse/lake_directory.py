"""The pipeline's directory of the log: in which months each identity has copies.

An incremental run must read every copy, old or new, of the identities its
window touches (whole traces for spans, dedup keys for metric points and log
records), plus the traces that share an LLM response id with them. The log is
partitioned by receive month, and looking for copies in every partition costs
one index probe per partition and identity, a cost that grows with history.
The directory answers it instead: for each table, the distinct (customer,
identity, receive month) of every row the lake holds, and for LLM spans, the
(customer, response id, trace) pairs. A run then reads only the months that
really hold older copies, which for live traffic is usually none.

It lives in the lake (`_directory/<name>/`) as Parquet files. Each run adds a
small file for its window, written before the lake is rewritten: a run killed
midway may leave entries for rows it never published, which only costs a
needless read, never a missed copy. Files merge by tiers: when FANOUT files
of one tier exist they become one file of the next, so the number of files
stays logarithmic in the number of runs and no run rewrites the whole
directory except a full rebuild.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import duckdb

from warehouse.lake import Lake

logger = logging.getLogger(__name__)

FANOUT = 16
TOP_TIER = 9
RESPONSES = "responses"
# The identity column whose copies are read together, per lake table.
KEYS = {"spans": "trace_id", "metric_points": "dedup_key", "log_records": "dedup_key"}
# Lookups match on 64-bit MD5 prefixes of "customer/identity", which a scan
# reads far faster than the strings; the strings confirm the match, and a
# response hash shared by chance only adds a trace that did not need reading.
IDENTITY_COLUMNS = "h UBIGINT, customer_id VARCHAR, key VARCHAR, month DATE"
RESPONSE_COLUMNS = "h UBIGINT, trace_h UBIGINT"

IDENTITIES_OF = """
SELECT md5_number_lower(customer_id || '/' || key) AS h, customer_id, key, month
FROM (SELECT DISTINCT customer_id, {key} AS key,
             date_trunc('month', received_at)::DATE AS month
      FROM {rows})
"""
RESPONSES_OF = """
SELECT md5_number_lower(customer_id || '/' || response_id) AS h,
       md5_number_lower(customer_id || '/' || trace_id) AS trace_h
FROM {rows}
WHERE span_class = 'llm' AND response_id IS NOT NULL
"""
OLDER = """
WITH wanted AS (
    SELECT DISTINCT customer_id, {key} AS key,
           md5_number_lower(customer_id || '/' || {key}) AS h
    FROM {rows}
), hits AS (
    -- The scan compares one integer per entry; the strings, only the hits.
    SELECT customer_id, key, month FROM {directory}
    WHERE h IN (SELECT h FROM wanted)
)
SELECT DISTINCT customer_id, key, month
FROM hits SEMI JOIN wanted USING (customer_id, key)
ORDER BY ALL
"""
# Traces with an LLM span whose response id an LLM span of `rows` carries,
# other than the traces of `rows` themselves.
SHARING = """
WITH responses AS (
    SELECT DISTINCT md5_number_lower(customer_id || '/' || response_id) AS h
    FROM {rows}
    WHERE span_class = 'llm' AND response_id IS NOT NULL
), seen AS (
    SELECT DISTINCT md5_number_lower(customer_id || '/' || trace_id) AS h
    FROM {rows}
), traces AS (
    SELECT DISTINCT r.trace_h AS h
    FROM dir_responses r
    SEMI JOIN responses USING (h)
    WHERE r.trace_h NOT IN (SELECT h FROM seen)
)
SELECT DISTINCT d.customer_id, d.key, d.month
FROM dir_spans d
SEMI JOIN traces USING (h)
ORDER BY ALL
"""

Wanted = list[tuple[str, str, date]]


def register(con: duckdb.DuckDBPyConnection, lake: Lake, table: str) -> None:
    """Make dir_<table> (and dir_responses for spans) views of the directory."""
    for name, columns, _ in _directories(table):
        empty = f"empty_dir_{name}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {empty} ({columns})")
        lake.register_directory(con, name, f"dir_{name}", empty=empty)


def is_complete(lake: Lake, table: str) -> bool:
    """Whether the directory covers the lake: it has files, or the lake is empty."""
    return bool(lake.directory_files(table)) or not lake.days(table)


def older(con: duckdb.DuckDBPyConnection, table: str, rows: str) -> Wanted:
    """(customer, identity, month) of the months holding copies of `rows`' ids."""
    query = OLDER.format(directory=f"dir_{table}", key=KEYS[table], rows=rows)
    return _wanted(con, query)


def sharing(con: duckdb.DuckDBPyConnection, rows: str) -> Wanted:
    """(customer, trace, month) of other traces sharing a response id with `rows`."""
    return _wanted(con, SHARING.format(rows=rows))


def record(
    con: duckdb.DuckDBPyConnection, lake: Lake, table: str, rows: str, *, seq: int
) -> None:
    """Add the identities of `rows` (a run's window) to the directory."""
    for name, _, template in _directories(table):
        query = template.format(key=KEYS[table], rows=rows)
        lake.write_directory_file(con, name, f"0-{seq:020d}.parquet", query)
        _merge(con, lake, name)


def rebuild(
    con: duckdb.DuckDBPyConnection, lake: Lake, table: str, rows: str, *, seq: int
) -> None:
    """Replace the directory of `table` with the identities of `rows` (every row)."""
    for name, _, template in _directories(table):
        query = template.format(key=KEYS[table], rows=rows)
        lake.clear_directory(name)
        lake.write_directory_file(con, name, f"{TOP_TIER}-{seq:020d}.parquet", query)
    logger.info("directory of %s rebuilt", table)


def _directories(table: str) -> list[tuple[str, str, str]]:
    """(name, columns, query template) of each directory of `table`."""
    found = [(table, IDENTITY_COLUMNS, IDENTITIES_OF)]
    if table == "spans":
        found.append((RESPONSES, RESPONSE_COLUMNS, RESPONSES_OF))
    return found


def _merge(con: duckdb.DuckDBPyConnection, lake: Lake, name: str) -> None:
    """Merge every full tier into one file of the tier above."""
    listed = lake.directory_files(name)
    for tier in range(TOP_TIER):
        files = [f for f in listed if f.startswith(f"{tier}-")]
        if len(files) < FANOUT:
            return
        # Named after the newest file merged, so a repeated merge replaces it.
        merged = f"{tier + 1}-{files[-1].split('-', 1)[1]}"
        lake.register_directory(
            con, name, "dir_merging", empty=f"empty_dir_{name}", only=files
        )
        lake.write_directory_file(
            con, name, merged, "SELECT DISTINCT * FROM dir_merging"
        )
        lake.remove_directory_files(name, files)
        listed = [f for f in listed if f not in files] + [merged]


def _wanted(con: duckdb.DuckDBPyConnection, query: str) -> Wanted:
    return [(str(c), str(k), m) for c, k, m in con.execute(query).fetchall()]


def month_range(month: date) -> tuple[datetime, datetime]:
    """The receive times [low, high) of a directory month, in UTC."""
    low = datetime(month.year, month.month, 1, tzinfo=UTC)
    if month.month == 12:
        return low, datetime(month.year + 1, 1, 1, tzinfo=UTC)
    return low, datetime(month.year, month.month + 1, 1, tzinfo=UTC)
