"""The read API serves the marts: values, as_of, roles and tenants."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.factories import Tenant, make_tenant, make_user
from tests.fix_log import Sender, Span, days_ago, write
from tests.fix_server import LiveServer, serve, server_settings
from warehouse import credentials, identity, marts
from warehouse.lake import Lake
from warehouse.refresh import refresh


@dataclass(frozen=True)
class World:
    live: LiveServer
    acme: Tenant
    globex: Tenant
    manager: str  # token of a manager of acme's second team
    user: str  # token of a plain user in that team
    user_id: uuid.UUID
    team_id: uuid.UUID
    marts: Path


def _token(db: psycopg.Connection, t: Tenant, team: uuid.UUID, user: uuid.UUID) -> str:
    return credentials.create_token(
        db, customer_id=t.customer_id, team_id=team, name="t", user_id=user
    )[1]


@pytest.fixture
def world(db: psycopg.Connection, db_url: str, tmp_path: Path) -> Iterator[World]:
    acme, globex = make_tenant(db, "Acme"), make_tenant(db, "Globex")
    team = identity.create_team(db, customer_id=acme.customer_id, name="Mobile")
    manager_id = make_user(db, acme, email="mia@acme.test", team_id=team,
                           role="manager")  # fmt: skip
    user_id = make_user(db, acme, email="uma@acme.test", team_id=team)
    write(db_url, Sender(acme.customer_id, acme.team_id, acme.user_id), [
        Span("t1", "a1", days_ago(1), cost_usd=0.5, model="gpt-4o"),
        Span("t1", "a2", days_ago(2), model="claude-sonnet-4-5", vendor="anthropic"),
    ])  # fmt: skip
    write(
        db_url,
        Sender(acme.customer_id, team, user_id),
        [Span("t2", "u1", days_ago(1), input_tokens=7, output_tokens=3)],
    )
    write(db_url, Sender(globex.customer_id, globex.team_id, globex.user_id),
          [Span("t3", "g1", days_ago(1))])  # fmt: skip
    published = tmp_path / "marts" / "stereos.duckdb"
    with psycopg.connect(db_url) as conn:
        refresh(conn, Lake.at(str(tmp_path / "lake")), published)
    settings = server_settings(marts_path=published)
    server = serve(db_url, settings)
    live = next(server)
    yield World(
        live, acme, globex, _token(db, acme, team, manager_id),
        _token(db, acme, team, user_id), user_id, team, published,
    )  # fmt: skip
    server.close()


def _get(
    world: World,
    path: str,
    token: str,
    *,
    params: dict[str, str] | None = None,
    accept: str = "application/json",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    url = f"{world.live.url}{path}"
    return httpx.get(url, headers=headers, params=params, timeout=10)


def test_dashboard_matches_the_marts_with_as_of(
    world: World, db: psycopg.Connection
) -> None:
    body = _get(world, "/v1/dashboard", world.acme.token).json()

    con = marts.read_only(world.marts)
    spans, calls, tokens = con.execute(
        "SELECT sum(spans), sum(llm_calls), sum(input_tokens) FROM customer_daily "
        "WHERE customer_id = ?", [str(world.acme.customer_id)]
    ).fetchone() or (0, 0, 0)  # fmt: skip
    con.close()
    totals = body["totals_30d"]
    assert (totals["spans"], totals["llm_calls"], totals["input_tokens"]) == (
        spans, calls, tokens)  # fmt: skip
    assert totals["spans"] == 3
    assert totals["cost_sent_usd"] == pytest.approx(0.5)
    assert totals["cost_computed_usd"] > 0
    assert body["most_active_user_id_30d"] == str(world.acme.user_id)
    newest = db.execute("SELECT max(seq), max(received_at) FROM payloads").fetchone()
    assert newest is not None
    assert body["as_of"]["seq"] == newest[0]
    assert [d["spans"] for d in body["series"]] == [1, 2]


def test_a_user_sees_only_themself_and_a_manager_their_team(world: World) -> None:
    mine = _get(world, "/v1/usage", world.user).json()["items"]
    assert sum(d["input_tokens"] for d in mine) == 7
    assert _get(world, f"/v1/users/{world.acme.user_id}/profile",
                world.user).status_code == 403  # fmt: skip
    assert _get(world, f"/v1/teams/{world.team_id}/profile",
                world.user).status_code == 403  # fmt: skip

    team = _get(world, f"/v1/teams/{world.team_id}/profile", world.manager).json()
    assert team["all_time"]["input_tokens"] == 7
    assert team["most_active_user_id_30d"] == str(world.user_id)
    profile = _get(world, f"/v1/users/{world.user_id}/profile", world.manager)
    assert profile.json()["all_time"]["llm_calls"] == 1
    assert _get(world, f"/v1/teams/{world.acme.team_id}/profile",
                world.manager).status_code == 403  # fmt: skip


def test_another_customers_ids_answer_404(world: World) -> None:
    token = world.acme.token
    for path in (
        f"/v1/users/{world.globex.user_id}/profile",
        f"/v1/teams/{world.globex.team_id}/profile",
        f"/v1/usage?user={world.globex.user_id}",
        f"/v1/usage?team={world.globex.team_id}",
    ):
        assert _get(world, path, token).status_code == 404, path


def test_usage_filters_and_csv(world: World) -> None:
    token = world.acme.token
    by_model = _get(world, "/v1/usage?model=claude-sonnet-4-5", token).json()
    assert [d["llm_calls"] for d in by_model["items"]] == [1]
    ranged = _get(world, "/v1/usage", token, params={
        "from": days_ago(1).date().isoformat(), "to": days_ago(1).date().isoformat(),
    }).json()  # fmt: skip
    assert [d["spans"] for d in ranged["items"]] == [2]

    csv = _get(world, "/v1/usage", token, accept="text/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("day,spans,llm_calls")
    assert len(lines) == 3
    assert csv.headers["x-stereos-as-of-seq"] == str(
        _get(world, "/v1/usage", token).json()["as_of"]["seq"]
    )
    bad = _get(world, "/v1/usage?from=2025-02-01&to=2025-01-01", token)
    assert bad.status_code == 422


def test_tools_list_tool_vendor_and_model(world: World) -> None:
    items = _get(world, "/v1/tools", world.acme.token).json()["items"]
    assert {(i["tool"], i["model"]) for i in items} == {
        ("app", "gpt-4o"), ("app", "claude-sonnet-4-5")}  # fmt: skip


def test_before_the_first_build_reads_answer_503(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    tenant = make_tenant(db)
    settings = server_settings(marts_path=tmp_path / "none.duckdb")
    server = serve(db_url, settings)
    live = next(server)
    try:
        headers = {"Authorization": f"Bearer {tenant.token}"}
        answer = httpx.get(f"{live.url}/v1/dashboard", headers=headers)
        assert answer.status_code == 503
        assert "backfill" in answer.json()["error"]["message"]
    finally:
        server.close()
