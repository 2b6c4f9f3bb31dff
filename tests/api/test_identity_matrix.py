"""Who may call which identity route: every route against every kind of caller.

One world is built per module: customer A with teams T1 (admin, manager,
user) and T2 (another manager), tokens of each scope, a revoked and an
expired one, and customer B with its own admin. Each cell asserts the status
and that the body names nothing of the tenant the caller does not belong to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from api.security import issue_session
from tests.factories import (
    Tenant,
    make_team,
    make_tenant,
    make_token,
    make_user,
)
from tests.fix_server import LiveServer

CALLERS = (
    "anonymous",
    "user",
    "manager_own",
    "manager_other",
    "admin",
    "token_ingest",
    "token_read",
    "token_admin",
    "token_revoked",
    "token_expired",
    "other_admin",
)


@dataclass
class World:
    """The tenants every cell runs against; targets are in customer A, team T1."""

    a: Tenant
    b: Tenant
    t1: uuid.UUID
    t2: uuid.UUID
    user: uuid.UUID
    manager_own: uuid.UUID
    manager_other: uuid.UUID
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    marks_a: set[str] = field(default_factory=set)
    marks_b: set[str] = field(default_factory=set)


def _email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}@acme.test"


@pytest.fixture(scope="module")
def world(module_db: psycopg.Connection, module_live: LiveServer) -> World:
    conn = module_db
    a, b = make_tenant(conn, "Acme"), make_tenant(conn, "Globex")
    user = make_user(conn, a, email=_email("user"))
    manager_own = make_user(conn, a, email=_email("m1"), role="manager")
    manager_other = make_user(conn, a, email=_email("m2"), role="manager",
                              team_id=make_team(conn, a))  # fmt: skip
    t2 = conn.execute(
        "SELECT team_id FROM users WHERE id = %s", (manager_other,)
    ).fetchone()[0]  # type: ignore[index]
    w = World(a, b, a.team_id, t2, user, manager_own, manager_other)

    def session(user_id: uuid.UUID) -> str:
        return issue_session(module_live.settings, user_id).token

    past = datetime.now(UTC) - timedelta(hours=1)
    revoked_id, revoked = make_token(conn, a)
    conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = %s", (revoked_id,)
    )
    secrets = {
        "user": session(user),
        "manager_own": session(manager_own),
        "manager_other": session(manager_other),
        "admin": session(a.user_id),
        "token_ingest": make_token(conn, a, scopes=("ingest",))[1],
        "token_read": make_token(conn, a, scopes=("read",))[1],
        "token_admin": make_token(conn, a, scopes=("admin",))[1],
        "token_revoked": revoked,
        "token_expired": make_token(conn, a, expires_at=past)[1],
        "other_admin": session(b.user_id),
    }
    w.headers = {k: {"Authorization": f"Bearer {v}"} for k, v in secrets.items()}
    w.headers["anonymous"] = {}
    w.marks_a = {str(x) for x in (a.customer_id, a.team_id, t2, a.user_id, user,
                                  manager_own, manager_other)} | {a.email}  # fmt: skip
    w.marks_b = {str(x) for x in (b.customer_id, b.team_id, b.user_id)} | {b.email}
    return w


# -- request builders: (path, json body) for one cell, creating what it consumes


Build = Callable[[World, psycopg.Connection], tuple[str, dict[str, Any] | None]]


def _fresh_user(w: World, conn: psycopg.Connection) -> uuid.UUID:
    return make_user(conn, w.a, email=_email("victim"))


def _fresh_team(w: World, conn: psycopg.Connection) -> uuid.UUID:
    return make_team(conn, w.a, members=(w.manager_own,))


def _fresh_token(w: World, conn: psycopg.Connection) -> uuid.UUID:
    return make_token(conn, w.a, scopes=("ingest",))[0]


def _new_member(w: World, conn: psycopg.Connection) -> uuid.UUID:
    return make_user(conn, w.a, email=_email("member"), team_id=make_team(conn, w.a))


STRONG = "correct horse battery"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    build: Build
    expected: dict[str, int]


def everyone(status: int) -> dict[str, int]:
    """A public route: the same answer whoever calls."""
    return dict.fromkeys(CALLERS, status)


def authed(
    *,
    user: int,
    manager_own: int,
    manager_other: int,
    admin: int,
    token_read: int,
    token_admin: int,
    other_admin: int,
) -> dict[str, int]:
    """An authenticated route; dead credentials 401, ingest-only tokens 403."""
    return {
        "anonymous": 401,
        "token_revoked": 401,
        "token_expired": 401,
        "token_ingest": 403,
        "user": user,
        "manager_own": manager_own,
        "manager_other": manager_other,
        "admin": admin,
        "token_read": token_read,
        "token_admin": token_admin,
        "other_admin": other_admin,
    }


def admin_write(ok: int, other_admin: int = 404) -> dict[str, int]:
    """An admin-only change to something of customer A."""
    return authed(user=403, manager_own=403, manager_other=403, admin=ok,
                  token_read=403, token_admin=ok, other_admin=other_admin)  # fmt: skip


def admin_read(other_admin: int = 200) -> dict[str, int]:
    return authed(user=403, manager_own=403, manager_other=403, admin=200,
                  token_read=200, token_admin=200, other_admin=other_admin)  # fmt: skip


def team_write(ok: int) -> dict[str, int]:
    """A change to team T1: its managers and admins."""
    return authed(user=403, manager_own=ok, manager_other=403, admin=ok,
                  token_read=403, token_admin=ok, other_admin=404)  # fmt: skip


def team_read() -> dict[str, int]:
    """Reading team T1: admins and its members."""
    return authed(user=200, manager_own=200, manager_other=403, admin=200,
                  token_read=200, token_admin=200, other_admin=404)  # fmt: skip


def anyone_authed() -> dict[str, int]:
    return authed(user=200, manager_own=200, manager_other=200, admin=200,
                  token_read=200, token_admin=200, other_admin=200)  # fmt: skip


ROUTES = [
    Route("onboarding_status", "GET", lambda w, c: ("/v1/onboarding/status", None),
          everyone(200)),
    Route("onboard", "POST", lambda w, c: ("/v1/onboarding", {
        "customer_name": "Late", "name": "Late", "email": _email("late"),
        "password": STRONG}), everyone(409)),
    Route("login_wrong_password", "POST", lambda w, c: ("/v1/auth/login", {
        "email": w.a.email, "password": "wrong password"}), everyone(401)),
    Route("accept_unknown_invite", "POST", lambda w, c: ("/v1/auth/accept-invite", {
        "code": "inv_unknown", "password": STRONG}), everyone(401)),
    Route("me", "GET", lambda w, c: ("/v1/auth/me", None), anyone_authed()),
    Route("customer", "GET", lambda w, c: ("/v1/customers/me", None), anyone_authed()),
    Route("create_token", "POST", lambda w, c: ("/v1/tokens", {
        "customer_id": str(w.a.customer_id), "team_id": str(w.t1), "name": "agent"}),
          team_write(201)),
    Route("list_tokens", "GET", lambda w, c: ("/v1/tokens", None), authed(
        user=403, manager_own=200, manager_other=200, admin=200, token_read=200,
        token_admin=200, other_admin=200)),
    Route("revoke_token", "DELETE",
          lambda w, c: (f"/v1/tokens/{_fresh_token(w, c)}", None), team_write(204)),
    Route("list_broadcast", "GET", lambda w, c: ("/v1/broadcast-credentials", None),
          admin_read()),
    Route("rotate_broadcast", "POST", lambda w, c: ("/v1/broadcast-credentials", None),
          admin_write(201, other_admin=201)),
    Route("list_users", "GET", lambda w, c: (f"/v1/users?team_id={w.t1}", None),
          admin_read()),
    Route("create_user", "POST", lambda w, c: ("/v1/users", {
        "email": _email("new"), "name": "New", "role": "user",
        "team_id": str(w.t1)}), admin_write(201)),
    Route("get_user", "GET", lambda w, c: (f"/v1/users/{w.user}", None), authed(
        user=200, manager_own=200, manager_other=403, admin=200, token_read=200,
        token_admin=200, other_admin=404)),
    Route("change_role", "PATCH", lambda w, c: (f"/v1/users/{w.user}/role", {
        "role": "user"}), admin_write(200)),
    Route("change_team", "PATCH", lambda w, c: (f"/v1/users/{w.user}/team", {
        "team_id": str(w.t1)}), admin_write(200)),
    Route("deactivate", "POST",
          lambda w, c: (f"/v1/users/{_fresh_user(w, c)}/deactivate", None),
          admin_write(200)),
    Route("list_teams", "GET", lambda w, c: ("/v1/teams", None), anyone_authed()),
    Route("create_team", "POST", lambda w, c: ("/v1/teams", {
        "name": f"t-{uuid.uuid4().hex[:8]}", "manager_user_id": str(w.manager_own)}),
          admin_write(201)),
    Route("get_team", "GET", lambda w, c: (f"/v1/teams/{w.t1}", None), team_read()),
    Route("update_team", "PATCH", lambda w, c: (f"/v1/teams/{w.t1}", {
        "profile_pic": "https://pics.test/t1.png"}), team_write(200)),
    Route("archive_team", "POST",
          lambda w, c: (f"/v1/teams/{_fresh_team(w, c)}/archive", None),
          admin_write(200)),
    Route("list_members", "GET", lambda w, c: (f"/v1/teams/{w.t1}/members", None),
          team_read()),
    Route("add_member", "POST", lambda w, c: (f"/v1/teams/{w.t1}/members", {
        "user_id": str(_fresh_user(w, c))}), team_write(201)),
    Route("remove_member", "DELETE",
          lambda w, c: (f"/v1/teams/{w.t1}/members/{_fresh_user(w, c)}", None),
          team_write(204)),
    Route("audit", "GET", lambda w, c: ("/v1/audit", None), admin_read()),
]  # fmt: skip

CELLS = [
    pytest.param(route, caller, id=f"{route.name}-{caller}")
    for route in ROUTES
    for caller in CALLERS
]


@pytest.mark.parametrize(("route", "caller"), CELLS)
def test_route_answers_each_caller(
    route: Route,
    caller: str,
    world: World,
    module_db: psycopg.Connection,
    module_live: LiveServer,
) -> None:
    path, body = route.build(world, module_db)
    response = httpx.request(
        route.method, module_live.url + path, json=body, headers=world.headers[caller]
    )

    assert response.status_code == route.expected[caller], response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message"}
    hidden = world.marks_a if caller == "other_admin" else world.marks_b
    if caller == "anonymous":
        hidden = world.marks_a | world.marks_b
    # Echoing an id the caller sent reveals nothing; anything else would.
    sent = path + str(body)
    leaked = [m for m in hidden if m in response.text and m not in sent]
    assert not leaked, f"{caller} saw another tenant's {leaked}"


def test_matrix_covers_every_identity_route(module_live: LiveServer) -> None:
    spec = httpx.get(f"{module_live.url}/openapi.json").json()
    identity = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if set(op.get("tags", ())) & IDENTITY_TAGS
    }
    covered = {(r.method, _template(r.name)) for r in ROUTES}
    assert identity <= covered, identity - covered


IDENTITY_TAGS = {
    "audit", "auth", "broadcast", "customers", "onboarding", "teams", "tokens",
    "users",
}  # fmt: skip
TEMPLATES = {
    "onboarding_status": "/v1/onboarding/status",
    "onboard": "/v1/onboarding",
    "login_wrong_password": "/v1/auth/login",
    "accept_unknown_invite": "/v1/auth/accept-invite",
    "me": "/v1/auth/me",
    "customer": "/v1/customers/me",
    "create_token": "/v1/tokens",
    "list_tokens": "/v1/tokens",
    "revoke_token": "/v1/tokens/{token_id}",
    "list_broadcast": "/v1/broadcast-credentials",
    "rotate_broadcast": "/v1/broadcast-credentials",
    "list_users": "/v1/users",
    "create_user": "/v1/users",
    "get_user": "/v1/users/{user_id}",
    "change_role": "/v1/users/{user_id}/role",
    "change_team": "/v1/users/{user_id}/team",
    "deactivate": "/v1/users/{user_id}/deactivate",
    "list_teams": "/v1/teams",
    "create_team": "/v1/teams",
    "get_team": "/v1/teams/{team_id}",
    "update_team": "/v1/teams/{team_id}",
    "archive_team": "/v1/teams/{team_id}/archive",
    "list_members": "/v1/teams/{team_id}/members",
    "add_member": "/v1/teams/{team_id}/members",
    "remove_member": "/v1/teams/{team_id}/members/{user_id}",
    "audit": "/v1/audit",
}


def _template(name: str) -> str:
    return TEMPLATES[name]
