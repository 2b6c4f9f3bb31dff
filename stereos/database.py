"""Which PostgreSQL to use: DATABASE_URL, or the embedded one in the data dir."""

from __future__ import annotations

from stereos.settings import Settings
from warehouse.embedded import start_embedded


def database_url(settings: Settings, *, stop_on_exit: bool = True) -> str:
    """The configured URL, or an embedded server's, started if need be."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.postgres_dir, stop_on_exit=stop_on_exit)
