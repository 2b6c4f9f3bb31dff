"""Where the pipeline reads and writes: the log, the lake and the marts."""

from __future__ import annotations

from pathlib import Path

import psycopg
from dagster import ConfigurableResource

from stereos.settings import Settings, get_settings
from warehouse.db import connect
from warehouse.lake import Lake


# Dagster's resource base is generic only for resources that build another value.
class Stores(ConfigurableResource):  # type: ignore[type-arg]
    """The PostgreSQL log, the Parquet lake and the published DuckDB marts."""

    database_url: str
    lake_url: str
    marts_path: str
    memory_limit: str = "1GB"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Stores:
        settings = settings or get_settings()
        return cls(
            # An empty URL is caught when a run connects, not when Dagster loads
            # the definitions (`dagster definitions validate` needs no database).
            database_url=settings.database_url or "",
            lake_url=settings.lake_location,
            # The published path is a symbolic link to the current version:
            # resolve its folder, never the link itself, or runs would publish
            # beside an old version instead of repointing the link.
            marts_path=str(_absolute(Path(settings.marts_file))),
            memory_limit=settings.marts_memory_limit,
        )

    def connect(self) -> psycopg.Connection:
        if not self.database_url:
            raise RuntimeError(
                "no database URL: set DATABASE_URL (`stereos start` passes it down)"
            )
        return connect(self.database_url)

    def lake(self) -> Lake:
        return Lake.at(self.lake_url)

    @property
    def published(self) -> Path:
        return Path(self.marts_path)


def _absolute(path: Path) -> Path:
    return path.expanduser().parent.resolve() / path.name
