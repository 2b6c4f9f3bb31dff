"""Who sees which traces, spans and diffs: every route, every role, two tenants."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import psycopg
import pytest

from tests.api.spans_otlp import get, hex_id, post, span
from tests.factories import make_team, make_tenant, make_token, make_user
from tests.fix_server import LiveServer

DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
TOOL = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "Edit"}


@dataclass(frozen=True)
class World:
    url: str
    tokens: dict[str, str]  # caller name -> bearer token
    traces: dict[str, str]  # "t1" (user one's, team one) / "t2" -> trace id
    roots: dict[str, str]  # trace name -> public id of its root span
    tools: dict[str, str]  # trace name -> public id of its tool span


def _trace(url: str, token: str, n: int, email: str) -> str:
    trace = hex_id(n)
    post(url, token, [
        span(trace, hex_id(1, 8), "turn", attrs={"user.id": email}),
        span(trace, hex_id(2, 8), "edit", parent=hex_id(1, 8), start_ms=1,
             attrs={**TOOL, "tool.output.diff": DIFF, "user.id": email}),
    ])  # fmt: skip
    return trace


@pytest.fixture(scope="module")
def world(module_db: psycopg.Connection, module_live: LiveServer) -> World:
    acme = make_tenant(module_db, "Acme")
    beta = make_tenant(module_db, "Beta")
    other_team = make_team(module_db, acme)
    manager = make_user(module_db, acme, email="boss@acme.test", role="manager")
    one = make_user(module_db, acme, email="one@acme.test")
    two = make_user(module_db, acme, email="two@acme.test", team_id=other_team)
    _, team_two_token = make_token(module_db, acme, team_id=other_team)
    url = module_live.url
    traces = {
        "t1": _trace(url, acme.token, 1, "one@acme.test"),
        "t2": _trace(url, team_two_token, 2, "two@acme.test"),
    }
    # The same trace id in another customer must stay that customer's.
    _trace(url, beta.token, 1, beta.email)
    tokens = {
        "admin": acme.token,
        "manager": make_token(module_db, acme, user_id=manager)[1],
        "one": make_token(module_db, acme, user_id=one)[1],
        "two": make_token(module_db, acme, user_id=two, team_id=other_team)[1],
        "other customer": beta.token,
    }
    roots, tools = {}, {}
    for name, trace in traces.items():
        tree = get(url, acme.token, f"/v1/traces/{trace}").json()["spans"]
        roots[name], tools[name] = tree[0]["id"], tree[1]["id"]
    return World(url, tokens, traces, roots, tools)


SEES = {
    "admin": {"t1", "t2"},
    "manager": {"t1"},
    "one": {"t1"},
    "two": {"t2"},
    "other customer": set(),
}


@pytest.mark.parametrize("caller", sorted(SEES))
def test_trace_list_shows_only_the_callers_scope(world: World, caller: str) -> None:
    answer = get(world.url, world.tokens[caller], "/v1/traces")

    assert answer.status_code == 200
    listed = {row["trace_id"] for row in answer.json()["items"]}
    if caller == "other customer":
        assert listed == {world.traces["t1"]}  # its own trace of the same id
    else:
        assert listed == {world.traces[t] for t in SEES[caller]}


@pytest.mark.parametrize("caller", sorted(SEES))
@pytest.mark.parametrize("trace", ["t1", "t2"])
def test_reads_by_id_answer_404_outside_the_scope(
    world: World, caller: str, trace: str
) -> None:
    token = world.tokens[caller]
    visible = trace in SEES[caller]
    expected = 200 if visible else 404
    routes = [
        f"/v1/spans/{world.roots[trace]}",
        f"/v1/spans/{world.tools[trace]}",
        f"/v1/spans/{world.tools[trace]}/diff",
    ]
    if caller != "other customer":  # it has a trace of its own under t1's id
        routes.append(f"/v1/traces/{world.traces[trace]}")

    for route in routes:
        answer = get(world.url, token, route)
        assert answer.status_code == expected, (route, answer.text)
        if not visible:
            assert answer.json()["error"]["code"] == "not_found"


def test_the_other_customers_trace_of_the_same_id_is_its_own(world: World) -> None:
    mine = get(world.url, world.tokens["admin"], f"/v1/traces/{world.traces['t1']}")
    theirs = get(
        world.url, world.tokens["other customer"], f"/v1/traces/{world.traces['t1']}"
    )

    assert {s["id"] for s in mine.json()["spans"]}.isdisjoint(
        {s["id"] for s in theirs.json()["spans"]}
    )


@pytest.mark.parametrize("caller", sorted(SEES))
def test_diff_list_shows_only_the_callers_scope(world: World, caller: str) -> None:
    answer = get(world.url, world.tokens[caller], "/v1/diffs")

    assert answer.status_code == 200
    spans = {row["span_id"] for row in answer.json()["items"]}
    if caller != "other customer":
        assert spans == {world.tools[t] for t in SEES[caller]}
    else:
        assert len(spans) == 1 and spans.isdisjoint(world.tools.values())


ROUTES = ["/v1/traces", "/v1/traces/{t}", "/v1/spans/{s}", "/v1/spans/{s}/diff",
          "/v1/diffs"]  # fmt: skip


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_needs_a_valid_token(world: World, route: str) -> None:
    path = route.format(t=world.traces["t1"], s=world.tools["t1"])

    assert httpx.get(f"{world.url}{path}").status_code == 401
    assert get(world.url, "sk_not_a_real_token", path).status_code == 401


def test_ids_that_are_not_ids_answer_404(world: World) -> None:
    token = world.tokens["admin"]
    for span_id in ("x", "a" * 32, "0" * 32, world.tools["t1"][:-1] + "!"):
        assert get(world.url, token, f"/v1/spans/{span_id}").status_code == 404
        assert get(world.url, token, f"/v1/spans/{span_id}/diff").status_code == 404
