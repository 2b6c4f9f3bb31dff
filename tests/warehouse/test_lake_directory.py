"""The lake's directory: which receive months hold copies of each identity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse import lake_directory
from warehouse.lake import Lake

ROWS = """
CREATE OR REPLACE TEMP TABLE rows AS
SELECT 'c1' AS customer_id, 't' || (n % 5) AS trace_id,
       TIMESTAMPTZ '2026-01-31 23:00:00+00' + to_hours(n) AS received_at,
       'llm' AS span_class, 'r' || n AS response_id
FROM range(?, ?) AS r(n)
"""


def _record(con: duckdb.DuckDBPyConnection, lake: Lake, first: int, seq: int) -> None:
    con.execute(ROWS, [first, first + 2])
    lake_directory.record(con, lake, "spans", "rows", seq=seq)


@pytest.fixture(params=["folder", "fsspec"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    """A lake in a local folder, or behind an fsspec URL (the object-store path)."""
    if request.param == "folder":
        return Lake.at(str(tmp_path))
    return Lake.at(f"memory://{tmp_path.name}")


def test_months_and_shared_responses_are_found(lake: Lake) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    lake_directory.register(con, lake, "spans")
    _record(con, lake, 0, seq=1)  # t0 in January, t1 in February
    lake_directory.register(con, lake, "spans")

    con.execute(ROWS, [5, 7])  # t0 and t1 again, r5 and r6
    older = lake_directory.older(con, "spans", "rows")
    assert older == [
        ("c1", "t0", date(2026, 1, 1)),
        ("c1", "t1", date(2026, 2, 1)),
    ]
    con.execute("UPDATE rows SET trace_id = 't4', response_id = 'r1'")
    assert lake_directory.sharing(con, "rows") == [("c1", "t1", date(2026, 2, 1))]


def test_files_merge_by_tier_without_losing_entries(lake: Lake) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    lake_directory.register(con, lake, "spans")
    runs = lake_directory.FANOUT + 1
    for n in range(runs):
        _record(con, lake, 2 * n, seq=n + 1)

    files = lake.directory_files("spans")
    assert [f.split("-")[0] for f in files] == ["0", "1"]
    lake_directory.register(con, lake, "spans")
    found = set(con.execute("SELECT key, month FROM dir_spans").fetchall())
    january, february = date(2026, 1, 1), date(2026, 2, 1)
    expected = {("t0", january)} | {(f"t{n % 5}", february) for n in range(1, 2 * runs)}
    assert found == expected
    responses = con.execute("SELECT count(DISTINCT h) FROM dir_responses")
    assert responses.fetchone() == (2 * runs,)
