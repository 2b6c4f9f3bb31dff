"""Connections to PostgreSQL: one pool per process, errors mapped to ours."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from warehouse.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

# SQLSTATE classes that mean "the server is not there right now": connection
# exceptions (08), insufficient resources (53), operator intervention (57:
# admin shutdown, cannot connect now) and system errors (58).
UNAVAILABLE_CLASSES = ("08", "53", "57", "58")


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database is down or overloaded, not a bad query."""
    if isinstance(exc, PoolTimeout | DatabaseUnavailable):
        return True
    if isinstance(exc, psycopg.OperationalError):
        state = exc.sqlstate
        return state is None or state[:2] in UNAVAILABLE_CLASSES
    return False


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A single synchronous connection, for the command line and tests."""
    try:
        return psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot connect to postgresql: {exc}") from exc


def make_pool(
    url: str, *, min_size: int, max_size: int, timeout: float
) -> AsyncConnectionPool:
    """An async pool, not yet opened; connections are checked before use."""
    return AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        open=False,
        check=AsyncConnectionPool.check_connection,
        reconnect_timeout=timeout,
    )


@contextlib.asynccontextmanager
async def pooled(pool: AsyncConnectionPool) -> AsyncIterator[psycopg.AsyncConnection]:
    """A pooled connection in a transaction; outages become DatabaseUnavailable."""
    try:
        async with pool.connection() as conn:
            yield conn
    except Exception as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
        raise
