"""The identity invariants over HTTP: each broken rule answers 409 with its reason."""

from __future__ import annotations

import uuid

import httpx
import psycopg

from api.security import issue_session
from tests.factories import Tenant, make_team, make_tenant, make_user
from tests.fix_server import LiveServer


def _auth(live: LiveServer, user_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_session(live.settings, user_id).token}"}


def _role(db: psycopg.Connection, user_id: uuid.UUID) -> str:
    row = db.execute("SELECT role FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


def _setup(db: psycopg.Connection) -> tuple[Tenant, uuid.UUID, uuid.UUID]:
    """A tenant whose team T2 has exactly one manager, and one user."""
    tenant = make_tenant(db)
    manager = make_user(
        db,
        tenant,
        email=f"m-{uuid.uuid4().hex[:6]}@a.test",
        role="manager",
        team_id=make_team(db, tenant),
    )
    user = make_user(db, tenant, email=f"u-{uuid.uuid4().hex[:6]}@a.test")
    return tenant, manager, user


def test_last_manager_of_a_team_cannot_leave_or_be_demoted(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, manager, _ = _setup(db)
    team = db.execute("SELECT team_id FROM users WHERE id = %s", (manager,)).fetchone()
    assert team is not None
    admin = _auth(live, tenant.user_id)

    removed = httpx.delete(
        f"{live.url}/v1/teams/{team[0]}/members/{manager}", headers=admin
    )
    demoted = httpx.patch(
        f"{live.url}/v1/users/{manager}/role", json={"role": "user"}, headers=admin
    )
    by_self = httpx.delete(
        f"{live.url}/v1/teams/{team[0]}/members/{manager}",
        headers=_auth(live, manager),
    )

    for answer in (removed, demoted, by_self):
        assert answer.status_code == 409, answer.text
        assert "at least one manager or admin" in answer.json()["error"]["message"]
    assert _role(db, manager) == "manager"
    members = db.execute(
        "SELECT count(*) FROM team_memberships WHERE team_id = %s", (team[0],)
    ).fetchone()
    assert members == (1,)


def test_a_second_manager_lets_the_first_leave(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, manager, _ = _setup(db)
    team = db.execute("SELECT team_id FROM users WHERE id = %s", (manager,)).fetchone()
    assert team is not None
    admin = _auth(live, tenant.user_id)
    other = make_user(db, tenant, email="m3@a.test", role="manager", team_id=team[0])

    answer = httpx.delete(
        f"{live.url}/v1/teams/{team[0]}/members/{manager}", headers=admin
    )

    assert answer.status_code == 204
    assert other


def test_last_admin_cannot_be_deactivated(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, _, _ = _setup(db)
    admin = _auth(live, tenant.user_id)

    answer = httpx.post(
        f"{live.url}/v1/users/{tenant.user_id}/deactivate", headers=admin
    )

    assert answer.status_code == 409
    assert "at least one active admin" in answer.json()["error"]["message"]
    assert httpx.get(f"{live.url}/v1/auth/me", headers=admin).status_code == 200


def test_an_admin_cannot_change_their_own_role(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, _, _ = _setup(db)
    make_user(db, tenant, email="second-admin@a.test", role="admin")

    answer = httpx.patch(
        f"{live.url}/v1/users/{tenant.user_id}/role",
        json={"role": "manager"},
        headers=_auth(live, tenant.user_id),
    )

    assert answer.status_code == 409
    assert "own role" in answer.json()["error"]["message"]
    assert _role(db, tenant.user_id) == "admin"


def test_a_user_cannot_promote_themself(
    live: LiveServer, db: psycopg.Connection
) -> None:
    _, _, user = _setup(db)

    answer = httpx.patch(
        f"{live.url}/v1/users/{user}/role",
        json={"role": "admin"},
        headers=_auth(live, user),
    )

    assert answer.status_code == 403
    assert _role(db, user) == "user"


def test_demoted_maker_token_loses_write_rights(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, manager, _ = _setup(db)
    make_user(db, tenant, email="m4@a.test", role="manager", team_id=tenant.team_id)
    minted = httpx.post(
        f"{live.url}/v1/tokens",
        json={
            "customer_id": str(tenant.customer_id),
            "team_id": str(tenant.team_id),
            "name": "script",
        },
        headers=_auth(live, make_user(db, tenant, email="m5@a.test", role="manager")),
    )
    assert minted.status_code == 201, minted.text
    token = {"Authorization": f"Bearer {minted.json()['token']}"}
    maker = minted.json()["user_id"]
    assert httpx.get(f"{live.url}/v1/tokens", headers=token).status_code == 200

    httpx.patch(
        f"{live.url}/v1/users/{maker}/role",
        json={"role": "user"},
        headers=_auth(live, tenant.user_id),
    ).raise_for_status()

    assert httpx.get(f"{live.url}/v1/tokens", headers=token).status_code == 403
    me = httpx.get(f"{live.url}/v1/auth/me", headers=token).json()
    assert me["scopes"] == ["ingest", "read"]
    assert manager


def test_team_needs_a_manager_or_admin_of_the_same_customer(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant, _, user = _setup(db)
    stranger = make_tenant(db, "Globex")
    admin = _auth(live, tenant.user_id)

    plain = httpx.post(
        f"{live.url}/v1/teams",
        json={"name": "X", "manager_user_id": str(user)},
        headers=admin,
    )
    foreign = httpx.post(
        f"{live.url}/v1/teams",
        json={"name": "Y", "manager_user_id": str(stranger.user_id)},
        headers=admin,
    )

    assert plain.status_code == 409
    assert foreign.status_code == 404
