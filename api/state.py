"""What an API process holds while it runs: settings and the database pool."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from stereos.settings import Settings


@dataclass(slots=True)
class AppState:
    """Shared by every request of one worker process."""

    settings: Settings
    pool: AsyncConnectionPool
    inflight: int = 0
