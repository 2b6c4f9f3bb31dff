"""The FastAPI application: OTLP ingest, health probes and the JSON API."""

from __future__ import annotations

import atexit
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routes import (
    audit,
    auth,
    broadcast,
    customers,
    dashboard,
    diffs,
    health,
    onboarding,
    otlp,
    profiles,
    spans,
    teams,
    tokens,
    tools,
    traces,
    usage,
    users,
)
from api.state import AppState
from ingest.otlp_protobuf import fast_reader_built
from stereos.settings import Settings, get_settings
from warehouse.db import make_pool

logger = logging.getLogger(__name__)

# Allocations between collections of the youngest generation (Python's
# default is 700); see _tune_collector.
GC_YOUNG_THRESHOLD = 50_000


def create_app(
    settings: Settings | None = None, database_url: str | None = None
) -> FastAPI:
    """Build the app; it connects to `database_url` (or the settings' URL)."""
    settings = settings or get_settings()
    url = database_url or settings.database_url
    if not url:
        raise RuntimeError(
            "no database URL: set DATABASE_URL, or start with `stereos start`, "
            "which runs an embedded PostgreSQL"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(
            url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            timeout=settings.db_timeout_s,
        )
        # Open without waiting: the process serves /health (and 503s) even
        # while the database is down, and reconnects when it comes back.
        await pool.open(wait=False)
        if not fast_reader_built():
            logger.warning(
                "ingest._otlp_traces is not built (no C compiler at install): "
                "protobuf trace bodies are decoded by the slower protobuf path"
            )
        app.state.stereos = AppState(settings=settings, pool=pool)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Stereos",
        version="0.1.0",
        summary="Team-level visibility into LLM apps and coding agents.",
        lifespan=lifespan,
    )
    errors.install(app, retry_after=settings.retry_after_s)
    app.include_router(health.router)
    # Before the OTLP routes: GET /v1/traces lists traces, while the OTLP
    # router answers every other method on that path with 405.
    for module in (traces, spans, diffs):
        app.include_router(module.router)
    app.include_router(otlp.router)
    for module in (onboarding, auth, customers, users, teams, tokens, broadcast, audit):
        app.include_router(module.router)
    # Read routes served from the DuckDB marts.
    for module in (dashboard, profiles, tools, usage):
        app.include_router(module.router)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for `uvicorn --factory api.app:app_from_environment`."""
    app = create_app()
    _tune_collector()
    return app


def _tune_collector() -> None:
    """Keep the cyclic garbage collector off the ingest path of a server process.

    A 512-span request allocates tens of thousands of short-lived containers,
    which with the default thresholds start a collection every few hundred,
    each one also walking the app's long-lived objects. Those are frozen out
    of the collector once imported, and the youngest generation is larger.
    """
    gc.collect()
    gc.freeze()
    # Back to the collector at exit, so extension modules see their objects
    # freed (duckdb's bindings otherwise report them as leaked).
    atexit.register(gc.unfreeze)
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
