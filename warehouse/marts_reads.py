"""Queries the read API runs on the published marts, scoped to what a caller sees.

A Scope is decided by the API from the caller's role (warehouse.access); here
it only becomes a WHERE condition with bound values.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import marts

SUMS = ", ".join(
    f"coalesce({expr.format(p='')}, 0)::{kind} AS {name}"
    for name, (expr, kind) in marts.MEASURES.items()
)
RECENT_SUMS = ", ".join(
    f"coalesce({expr.format(p='')} FILTER (WHERE day >= $since), 0)::{kind} "
    f"AS {name}_30d"
    for name, (expr, kind) in marts.MEASURES.items()
)
META = "SELECT as_of_seq, as_of_received_at, built_at, window_start FROM marts_meta"
Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scope:
    """Rows a caller may see: a customer, narrowed to teams or to one user."""

    customer_id: uuid.UUID
    team_ids: frozenset[uuid.UUID] | None = None  # None: every team
    user_id: uuid.UUID | None = None  # with team_ids: also this user's own rows
    only_user: bool = False

    def where(self) -> tuple[str, Params]:
        clause = "customer_id = $customer"
        params: Params = {"customer": str(self.customer_id)}
        if self.only_user:
            return clause + " AND user_id = $me", params | {"me": str(self.user_id)}
        if self.team_ids is not None:
            clause += " AND (list_contains($teams, team_id) OR user_id = $me)"
            teams = [str(team) for team in self.team_ids]
            params |= {"teams": teams, "me": str(self.user_id)}
        return clause, params


@dataclass(frozen=True, slots=True)
class UsageFilter:
    """The /v1/usage filters; None means any."""

    team_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    model: str | None = None
    vendor: str | None = None
    start: date | None = None
    end: date | None = None

    def where(self) -> tuple[str, Params]:
        parts: list[str] = []
        params: Params = {}
        for column, value in (
            ("team_id", self.team_id), ("user_id", self.user_id),
            ("model", self.model), ("vendor", self.vendor),
        ):  # fmt: skip
            if value is not None:
                parts.append(f"{column} = $f_{column}")
                params[f"f_{column}"] = str(value)
        if self.start is not None:
            parts.append("day >= $f_start")
            params["f_start"] = self.start
        if self.end is not None:
            parts.append("day <= $f_end")
            params["f_end"] = self.end
        return " AND ".join(parts) or "true", params


@dataclass(frozen=True, slots=True)
class AsOf:
    """What the marts include: the newest log sequence and receive time."""

    seq: int
    received_at: datetime | None
    built_at: datetime
    window_start: date


@dataclass(slots=True)
class Found:
    """Rows of one answer, with the marts' as_of."""

    as_of: AsOf
    rows: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def opened(published: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, AsOf]]:
    """A read-only connection to the current marts and their as_of."""
    con = marts.read_only(published)
    try:
        row = con.execute(META).fetchone()
        assert row is not None
        yield con, AsOf(*row)
    finally:
        con.close()


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dashboard(published: Path, scope: Scope) -> dict[str, Any]:
    """30-day totals, the most active user and the daily series of a scope."""
    where, params = scope.where()
    with opened(published) as (con, as_of):
        params["since"] = as_of.window_start
        totals = _dicts(con.execute(
            f"SELECT {RECENT_SUMS} FROM counted_usage WHERE {where}", params
        ))[0]  # fmt: skip
        leader = con.execute(
            "SELECT user_id, count(*) OVER () FROM counted_usage "
            f"WHERE {where} AND day >= $since AND user_id IS NOT NULL "
            "GROUP BY user_id ORDER BY sum(llm_calls) DESC, "
            "sum(input_tokens + output_tokens) DESC, user_id LIMIT 1",
            params,
        ).fetchone()
        series = _dicts(con.execute(
            f"SELECT day, {SUMS} FROM counted_usage WHERE {where} AND day >= $since "
            "GROUP BY day ORDER BY day",
            params,
        ))  # fmt: skip
    return {
        "as_of": as_of,
        "totals_30d": totals,
        "most_active_user_id_30d": leader[0] if leader else None,
        "active_users_30d": leader[1] if leader else 0,
        "series": series,
    }


PROFILES = {"user": ("user_profiles", "user_id"), "team": ("team_profiles", "team_id")}


def profile(
    published: Path, kind: str, *, customer_id: uuid.UUID, key: uuid.UUID
) -> Found:
    """The user_profiles or team_profiles row of one id (none: no usage yet)."""
    table, column = PROFILES[kind]
    with opened(published) as (con, as_of):
        rows = _dicts(con.execute(
            f"SELECT * FROM {table} WHERE customer_id = $c AND {column} = $k",
            {"c": str(customer_id), "k": str(key)},
        ))  # fmt: skip
    return Found(as_of, rows)


def tools(published: Path, scope: Scope) -> Found:
    """Per tool, vendor and model: last 30 days and all time, within a scope."""
    where, params = scope.where()
    with opened(published) as (con, as_of):
        params["since"] = as_of.window_start
        rows = _dicts(con.execute(
            f"SELECT tool, vendor, model, {RECENT_SUMS}, {SUMS}, "
            "min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at "
            f"FROM counted_usage WHERE {where} GROUP BY ALL "
            "ORDER BY llm_calls_30d DESC, llm_calls DESC, tool, vendor, model",
            params,
        ))  # fmt: skip
    return Found(as_of, rows)


def usage(published: Path, scope: Scope, filters: UsageFilter) -> Found:
    """The daily series of counted usage within a scope and filters."""
    where, params = scope.where()
    narrow, more = filters.where()
    with opened(published) as (con, as_of):
        rows = _dicts(con.execute(
            f"SELECT day, {SUMS} FROM counted_usage WHERE {where} AND {narrow} "
            "GROUP BY day ORDER BY day",
            params | more,
        ))  # fmt: skip
    return Found(as_of, rows)
