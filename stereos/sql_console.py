"""`stereos sql`: read-only SQL on the published marts, as a table, CSV or Parquet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from warehouse import marts

MAX_CELL = 60


def run_sql(published: Path, query: str, *, fmt: str, output: str | None) -> str:
    """The query's result formatted as asked (Parquet goes to `output`)."""
    con = marts.read_only(published)
    try:
        # Read-only file, and no reading or writing of other files either.
        con.execute("SET enable_external_access = false")
        result = con.sql(query)
        if result is None:
            return ""
        if fmt == "parquet":
            if not output:
                raise ValueError("--format parquet needs --output FILE")
            table = result.to_arrow_table()
            pq.write_table(table, output, compression="zstd")
            return f"wrote {table.num_rows} row(s) to {output}\n"
        names = list(result.columns)
        rows = result.fetchall()
    finally:
        con.close()
    return _csv(names, rows) if fmt == "csv" else _table(names, rows)


def _csv(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


def _cell(value: object) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _table(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [
        max([len(name), *(len(row[i]) for row in cells)])
        for i, name in enumerate(names)
    ]
    line = "+".join("-" * (w + 2) for w in widths)

    def render(values: list[str]) -> str:
        return "|".join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True))

    body = [render(names), line, *(render(row) for row in cells)]
    body.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(body) + "\n"
