"""The Parquet lake: deduplicated log rows by day, in Hive-style folders.

Layout: `<root>/<table>/day=YYYY-MM-DD/part-0.parquet` (zstd), one file per
table and day, so that rebuilding a day replaces one file. The root is a local
folder or any URL pyarrow (or fsspec) understands, such as s3://bucket/prefix.
Beside the tables, `<root>/_directory/<name>/*.parquet` holds the pipeline's
directory of where copies of each identity were received (see
warehouse.lake_directory): plain files, listed, written and removed whole.
"""

from __future__ import annotations

import logging
import posixpath
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from warehouse.duckdb_literals import quote
from warehouse.errors import LakeError

logger = logging.getLogger(__name__)

TABLES = ("spans", "metric_points", "log_records")
DIRECTORY = "_directory"
PART = "part-0.parquet"
DAY_SCHEMA = pa.schema([("day", pa.date32())])
COMPRESSION = "zstd"
# A day is about one row group per 32k rows: DuckDB writes row groups on all
# its threads, and a day of 100k rows in one group kept a single core busy.
ROW_GROUP = 32_768


@dataclass(frozen=True, slots=True)
class Lake:
    """Where the lake lives and how to reach it."""

    fs: pafs.FileSystem
    root: str  # path inside `fs`, without a trailing slash
    local: bool

    @classmethod
    def at(cls, url: str) -> Lake:
        """The lake at `url`: a folder, or a pyarrow or fsspec URL."""
        if "://" not in url:
            root = Path(url).expanduser().resolve()
            return cls(pafs.LocalFileSystem(), root.as_posix(), local=True)
        try:
            fs, inside = pafs.FileSystem.from_uri(url)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            fs, inside = _fsspec(url)
        local = isinstance(fs, pafs.LocalFileSystem)
        return cls(fs, str(inside).rstrip("/"), local=local)

    def folder(self, table: str) -> str:
        return posixpath.join(self.root, _checked(table))

    def path(self, table: str, day: date) -> str:
        return posixpath.join(self.folder(table), f"day={day.isoformat()}", PART)

    def days(self, table: str) -> list[date]:
        """The days that have a partition, oldest first."""
        selector = pafs.FileSelector(self.folder(table), allow_not_found=True)
        found = []
        for info in self.fs.get_file_info(selector):
            name = posixpath.basename(info.path)
            if info.type == pafs.FileType.Directory and name.startswith("day="):
                found.append(date.fromisoformat(name.removeprefix("day=")))
        return sorted(found)

    def read_day(self, table: str, day: date) -> pa.Table | None:
        """One day's rows, or None when the day has no partition."""
        path = self.path(table, day)
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return None
        return pq.read_table(path, filesystem=self.fs)

    def register_day(
        self, con: duckdb.DuckDBPyConnection, table: str, day: date, name: str
    ) -> bool:
        """Make `name` a DuckDB view of one day's rows; False when it has none."""
        path = self.path(table, day)
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return False
        if not self.local:
            con.register(f"{name}_arrow", pq.read_table(path, filesystem=self.fs))
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS FROM {name}_arrow")
            return True
        # Read in place by DuckDB, with no Arrow copy; the path is our own.
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS FROM read_parquet({quote(path)})"
        )
        return True

    def write_day(self, table: str, day: date, rows: pa.Table) -> None:
        """Replace one day's partition; an empty table removes it.

        Readers see the old file or the new one, never a half-written one: a
        local write goes to a hidden file renamed over the old one, and an
        object store's PUT is atomic per object.
        """
        path = self.path(table, day)
        if rows.num_rows == 0:
            self._remove(path)
            return
        self.fs.create_dir(posixpath.dirname(path), recursive=True)
        if not self.local:
            self._put(rows, path)
            return
        hidden = posixpath.join(
            posixpath.dirname(path), f".{PART}.{uuid.uuid4().hex}.tmp"
        )
        self._put(rows, hidden)
        self.fs.move(hidden, path)

    def _put(self, rows: pa.Table, path: str) -> None:
        pq.write_table(
            rows, path, filesystem=self.fs, compression=COMPRESSION,
            row_group_size=ROW_GROUP,
        )  # fmt: skip

    def write_query(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        day: date,
        query: str,
        params: list[object],
    ) -> int:
        """Replace one day's partition with the rows of a DuckDB query; how many.

        On a local lake DuckDB writes the file itself (on all its threads, with
        no Arrow copy of the day in between), to a hidden name renamed over the
        old file, as write_day does.
        """
        if not self.local:
            rows: pa.Table = con.sql(query, params=params).to_arrow_table()
            self.write_day(table, day, rows)
            return int(rows.num_rows)
        path = self.path(table, day)
        count = self._write_local(con, path, query, params)
        if count == 0:
            self._remove(path)
            # No partition left behind without a file, as with write_day.
            folder = posixpath.dirname(path)
            if not self.fs.get_file_info(pafs.FileSelector(folder)):
                self.fs.delete_dir(folder)
        return count

    def _write_local(
        self,
        con: duckdb.DuckDBPyConnection,
        path: str,
        query: str,
        params: list[object],
    ) -> int:
        """Write a query's rows to `path` through a hidden file; none: no file."""
        self.fs.create_dir(posixpath.dirname(path), recursive=True)
        hidden = posixpath.join(
            posixpath.dirname(path), f".{PART}.{uuid.uuid4().hex}.tmp"
        )
        # COPY takes no parameter for its target: the path is our own, quoted.
        options = (
            f"FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP}"
        )
        written = con.execute(
            f"COPY ({query}) TO {quote(hidden)} ({options})", params
        ).fetchone()
        count = int(written[0]) if written else 0
        if count == 0:
            self._remove(hidden)
            return 0
        self.fs.move(hidden, path)
        return count

    def directory_files(self, name: str) -> list[str]:
        """The file names of one directory, sorted."""
        selector = pafs.FileSelector(self._directory_path(name), allow_not_found=True)
        found = self.fs.get_file_info(selector)
        return sorted(
            posixpath.basename(info.path)
            for info in found
            if info.type == pafs.FileType.File and info.path.endswith(".parquet")
        )

    def register_directory(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        view: str,
        *,
        empty: str,
        only: list[str] | None = None,
    ) -> None:
        """Make `view` a DuckDB view of the files (or `only` these) of a directory."""
        names = self.directory_files(name) if only is None else only
        files = [self._directory_path(name, f) for f in names]
        if not files:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS FROM {empty}")
            return
        if self.local:
            # Views take no parameters; the paths are built from our own root.
            quoted = ", ".join(quote(f) for f in files)
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS FROM read_parquet([{quoted}])"
            )
            return
        con.register(f"{view}_arrow", ds.dataset(files, filesystem=self.fs))
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS FROM {view}_arrow")

    def write_directory_file(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        file: str,
        query: str,
    ) -> int:
        """Write (or replace) one directory file with a query's rows; how many."""
        path = self._directory_path(name, file)
        if self.local:
            return self._write_local(con, path, query, [])
        rows: pa.Table = con.sql(query).to_arrow_table()
        if rows.num_rows:
            self.fs.create_dir(posixpath.dirname(path), recursive=True)
            self._put(rows, path)
        return int(rows.num_rows)

    def remove_directory_files(self, name: str, files: list[str]) -> None:
        for file in files:
            self._remove(self._directory_path(name, file))

    def clear_directory(self, name: str) -> None:
        folder = self._directory_path(name)
        if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
            self.fs.delete_dir(folder)

    def _directory_path(self, name: str, file: str = "") -> str:
        """A directory's folder, or one file in it."""
        return posixpath.join(self.root, DIRECTORY, name, file).rstrip("/")

    def clear(self, table: str) -> None:
        """Remove every partition of `table` (before a rebuild from the log)."""
        folder = self.folder(table)
        if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
            self.fs.delete_dir(folder)

    def register(
        self, con: duckdb.DuckDBPyConnection, table: str, *, empty: str
    ) -> None:
        """Make `lake_<table>` a view of the whole table in DuckDB.

        `empty` names a DuckDB table with the lake's columns, used while the
        lake holds no partition of `table` yet.
        """
        view = f"lake_{_checked(table)}"
        if not self.days(table):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS FROM {empty}")
            return
        if self.local:
            glob = posixpath.join(self.folder(table), "day=*", "*.parquet")
            # Views take no parameters; the glob is built from our own root.
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {view} AS FROM read_parquet("
                f"{quote(glob)}, hive_partitioning = true, "
                "hive_types = {'day': DATE})"
            )
            return
        # DuckDB scans a pyarrow dataset lazily, with column and day pushdown.
        dataset = ds.dataset(
            self.folder(table),
            filesystem=self.fs,
            format="parquet",
            partitioning=ds.partitioning(DAY_SCHEMA, flavor="hive"),
        )
        con.register(f"{view}_arrow", dataset)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS FROM {view}_arrow")

    def _remove(self, path: str) -> None:
        if self.fs.get_file_info(path).type == pafs.FileType.File:
            self.fs.delete_file(path)


def _checked(table: str) -> str:
    # Table names reach paths and view names: only the lake's own are allowed.
    if table not in TABLES:
        raise LakeError(f"unknown lake table {table!r}; expected one of {TABLES}")
    return table


def _fsspec(url: str) -> tuple[pafs.FileSystem, str]:
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec ships with dagster
        raise LakeError(f"cannot open lake url {url!r}: install fsspec") from exc
    filesystem, root = fsspec.core.url_to_fs(url)
    return pafs.PyFileSystem(pafs.FSSpecHandler(filesystem)), root
