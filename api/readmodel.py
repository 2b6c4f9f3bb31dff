"""What the read routes share: the caller's scope, the marts, and `as_of`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import psycopg
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.errors import Unavailable
from warehouse import access
from warehouse.access import Caller
from warehouse.errors import MartsNotBuilt
from warehouse.marts_reads import AsOf, Scope

T = TypeVar("T")


class AsOfPublic(BaseModel):
    """What the figures include: the newest log sequence number and its time."""

    seq: int
    received_at: datetime | None
    built_at: datetime
    window_start: date


class Measures(BaseModel):
    """Usage figures; costs in USD, sent and computed kept apart."""

    spans: int
    llm_calls: int
    tool_calls: int
    errors: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_creation_tokens: int
    cost_sent_usd: float
    cost_computed_usd: float
    cost_usd: float
    uncosted_calls: int
    sessions: int
    lines_added: int
    lines_removed: int


def as_of_public(as_of: AsOf) -> AsOfPublic:
    return AsOfPublic(
        seq=as_of.seq,
        received_at=as_of.received_at,
        built_at=as_of.built_at,
        window_start=as_of.window_start,
    )


def measures(row: dict[str, Any], suffix: str = "") -> Measures:
    """The measures of a row, read from columns named `<measure><suffix>`."""
    return Measures(**{name: row[name + suffix] for name in Measures.model_fields})


async def scope_of(conn: psycopg.AsyncConnection, caller: Caller) -> Scope:
    """Admins see the customer, managers their teams, users themself."""
    if caller.is_admin:
        return Scope(caller.customer_id)
    if caller.role == "manager":
        teams = await access.member_team_ids(conn, caller)
        return Scope(caller.customer_id, frozenset(teams), caller.user_id)
    return Scope(caller.customer_id, user_id=caller.user_id, only_user=True)


async def from_marts(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a marts query off the event loop; 503 while no marts exist yet."""
    try:
        return await run_in_threadpool(read, *args, **kwargs)
    except MartsNotBuilt as exc:
        raise Unavailable(
            "the marts are not built yet: they appear within a minute of the "
            "first data (or run `stereos backfill`)"
        ) from exc
