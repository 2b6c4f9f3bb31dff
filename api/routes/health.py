"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import State
from api.errors import Unavailable
from warehouse.db import is_unavailable, pooled

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Answers while the process lives."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(state: State) -> dict[str, str]:
    """Answers 200 only while the database answers; 503 otherwise."""
    try:
        async with pooled(state.pool) as conn:
            await conn.execute("SELECT 1")
    except Exception as exc:
        if is_unavailable(exc):
            raise Unavailable() from exc
        raise
    return {"status": "ready"}
