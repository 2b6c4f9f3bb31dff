"""Checks a staged marts file must pass before it is published.

Each check returns the failures it found, as sentences; none means it passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

import duckdb

from stereos.settings import get_settings
from warehouse.lake import Lake
from warehouse.marts import MEASURES, Staged, register_lake

LIMIT = 5


@contextmanager
def _open(staged: Staged, lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(staged.path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        # Checks scan the whole lake after a full build: bounded like the build.
        con.execute("SET memory_limit = ?", [get_settings().marts_memory_limit])
        register_lake(con, lake)
        con.execute("CREATE OR REPLACE TEMP TABLE dirty (day DATE)")
        con.execute("INSERT INTO dirty SELECT unnest(?::DATE[])", [list(staged.days)])
        yield con
    finally:
        con.close()


def totals_match(staged: Staged, lake: Lake) -> list[str]:
    """Per rebuilt day and customer, the marts' totals equal the lake's.

    The lake is the deduplicated log; spans must match its row count, and
    every rollup must add up to the counted facts.
    """
    with _open(staged, lake) as con:
        rows = con.execute(_sql("marts_check_totals.sql")).fetchmany(LIMIT)
    return [f"{what} differs on {day} for customer {customer}: {a} != {b}"
            for what, day, customer, a, b in rows]  # fmt: skip


def unique_keys(staged: Staged, lake: Lake) -> list[str]:
    """No span, metric point or log record identity twice in the rebuilt days."""
    with _open(staged, lake) as con:
        rows = con.execute(_sql("marts_check_keys.sql")).fetchmany(LIMIT)
    return [f"{table} key {key} appears {count} times" for table, key, count in rows]


def non_negative(staged: Staged, lake: Lake) -> list[str]:
    """No negative count, token or cost anywhere in the facts."""
    condition = " OR ".join(
        f"{name} < 0" for name in MEASURES if name not in ("cost_usd", "sessions")
    )
    with _open(staged, lake) as con:
        found = con.execute(
            f"SELECT day, customer_id FROM usage_facts WHERE {condition} LIMIT ?",
            [LIMIT],
        ).fetchall()
    return [f"negative quantity on {day} for customer {c}" for day, c in found]


CHECKS = {
    "totals_match_log": totals_match,
    "no_duplicate_keys": unique_keys,
    "no_negative_quantities": non_negative,
}


def run_all(staged: Staged, lake: Lake) -> dict[str, list[str]]:
    """Every check's failures, by check name."""
    return {name: check(staged, lake) for name, check in CHECKS.items()}


def _sql(name: str) -> str:
    return (resources.files("warehouse") / "sql" / name).read_text()
