"""Onboarding, login, sessions, tokens and invites over real HTTP."""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from pydantic import ValidationError

from api.security import issue_session
from stereos.settings import Settings
from tests.factories import make_tenant, make_token, make_user, set_password
from tests.fix_server import LiveServer, serve, server_settings

STRONG = "correct horse battery"
SPAN = {
    "resourceSpans": [
        {
            "resource": {"attributes": []},
            "scopeSpans": [
                {
                    "spans": [
                        {
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "name": "chat",
                            "startTimeUnixNano": "1700000000000000000",
                            "endTimeUnixNano": "1700000001000000000",
                        }
                    ]
                }
            ],
        }
    ]
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def every_stored_text(db: psycopg.Connection) -> str:
    """Every row of every table in the database, as text."""
    tables = db.execute(
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
        "WHERE schemaname = 'public'"
    ).fetchall()
    parts = []
    for (table,) in tables:
        query = f"SELECT t::text FROM {table} t"  # names come from the catalog
        parts.extend(row[0] for row in db.execute(query.encode()).fetchall())
    return "\n".join(parts)


@pytest.fixture
def open_live(db_url: str) -> Iterator[LiveServer]:
    yield from serve(db_url, server_settings(open_signup=True))


def onboard(url: str, email: str) -> httpx.Response:
    body = {"customer_name": "Acme", "name": "Ada", "email": email, "password": STRONG}
    return httpx.post(f"{url}/v1/onboarding", json=body)


def test_onboarding_creates_the_first_customer_once(live: LiveServer) -> None:
    before = httpx.get(f"{live.url}/v1/onboarding/status").json()

    first = onboard(live.url, "ada@acme.test")
    second = onboard(live.url, "bob@acme.test")

    assert before == {"onboarded": False, "open_signup": False}
    assert first.status_code == 201
    session = bearer(first.json()["session"]["token"])
    me = httpx.get(f"{live.url}/v1/auth/me", headers=session).json()
    assert me["user"]["role"] == "admin" and me["via"] == "session"
    assert (
        httpx.get(f"{live.url}/v1/customers/me", headers=session).json()
        == (first.json()["customer"])
    )
    assert second.status_code == 409
    assert httpx.get(f"{live.url}/v1/onboarding/status").json()["onboarded"]


def test_open_signup_gives_each_caller_their_own_customer(
    open_live: LiveServer,
) -> None:
    first = onboard(open_live.url, "ada@acme.test").json()
    second = onboard(open_live.url, "bob@other.test").json()

    assert first["customer"]["id"] != second["customer"]["id"]
    users = httpx.get(
        f"{open_live.url}/v1/users", headers=bearer(second["session"]["token"])
    ).json()
    assert [u["email"] for u in users["items"]] == ["bob@other.test"]


def test_login_returns_a_jwt_and_hides_whether_the_email_exists(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    set_password(db, tenant.user_id, STRONG)

    good = httpx.post(
        f"{live.url}/v1/auth/login",
        json={"email": tenant.email.upper(), "password": STRONG},
    )
    wrong = httpx.post(
        f"{live.url}/v1/auth/login",
        json={"email": tenant.email, "password": "nope nope"},
    )
    unknown = httpx.post(
        f"{live.url}/v1/auth/login",
        json={"email": "nobody@acme.test", "password": "nope nope"},
    )

    assert good.status_code == 200
    claims = jwt.decode(
        good.json()["token"],
        live.settings.session_secret,
        algorithms=["HS256"],
        audience=live.settings.jwt_audience,
    )
    assert claims["sub"] == str(tenant.user_id)
    assert claims["iss"] == live.settings.jwt_issuer
    assert {"exp", "iat"} <= set(claims)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def _forge(settings: Settings, user_id: uuid.UUID, **changes: Any) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    key = changes.pop("key", settings.session_secret)
    algorithm = changes.pop("algorithm", "HS256")
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    with warnings.catch_warnings():
        # Signing HS512 with the (shorter) HS256 secret is the point of the test.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(settings: Settings, user_id: uuid.UUID) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    body = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": exp - 60,
        "exp": exp,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


TAMPERED = {
    "alg_none": lambda s, u: _unsigned(s, u),
    "alg_hs512": lambda s, u: _forge(s, u, algorithm="HS512"),
    "bad_signature": lambda s, u: _forge(s, u, key="another-secret-of-32-characters!!"),
    "wrong_audience": lambda s, u: _forge(s, u, aud="someone-else"),
    "wrong_issuer": lambda s, u: _forge(s, u, iss="someone-else"),
    "expired": lambda s, u: _forge(s, u, exp=datetime.now(UTC) - timedelta(seconds=5)),
    "no_expiry": lambda s, u: _forge(s, u, exp=None),
    "sub_not_a_user": lambda s, u: _forge(s, u, sub="admin"),
    "unknown_user": lambda s, u: _forge(s, uuid.uuid4()),
    "garbage": lambda s, u: "not.a.jwt",
}


@pytest.mark.parametrize("kind", sorted(TAMPERED))
def test_tampered_sessions_get_401(
    kind: str, live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    token = TAMPERED[kind](live.settings, tenant.user_id)

    answer = httpx.get(f"{live.url}/v1/auth/me", headers=bearer(token))

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert (
        httpx.get(
            f"{live.url}/v1/auth/me",
            headers=bearer(_forge(live.settings, tenant.user_id)),
        ).status_code
        == 200
    )


def test_tokens_and_invites_are_stored_only_hashed(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)

    minted = httpx.post(
        f"{live.url}/v1/tokens",
        headers=admin,
        json={
            "customer_id": str(tenant.customer_id),
            "team_id": str(tenant.team_id),
            "name": "agent",
            "scopes": ["ingest"],
        },
    ).json()
    invited = httpx.post(
        f"{live.url}/v1/users",
        headers=admin,
        json={"email": "new@acme.test", "name": "New"},
    ).json()
    broadcast = httpx.post(f"{live.url}/v1/broadcast-credentials", headers=admin).json()
    listed = httpx.get(f"{live.url}/v1/tokens", headers=admin).text

    stored = every_stored_text(db)
    for secret in (
        minted["token"],
        invited["invite_code"],
        broadcast["secret"],
        tenant.token,
    ):
        assert secret not in stored
        assert secret[12:] not in stored
        assert secret not in listed
    assert minted["prefix"] in listed


def test_an_invite_sets_a_password_once(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)
    created = httpx.post(
        f"{live.url}/v1/users",
        headers=admin,
        json={"email": "new@acme.test", "name": "New", "team_id": str(tenant.team_id)},
    )
    code = created.json()["invite_code"]
    expires = datetime.fromisoformat(created.json()["invite_expires_at"])

    accepted = httpx.post(
        f"{live.url}/v1/auth/accept-invite", json={"code": code, "password": STRONG}
    )
    again = httpx.post(
        f"{live.url}/v1/auth/accept-invite",
        json={"code": code, "password": "another one!"},
    )
    login = httpx.post(
        f"{live.url}/v1/auth/login", json={"email": "new@acme.test", "password": STRONG}
    )

    assert created.status_code == 201
    assert timedelta(days=6.9) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert accepted.status_code == 200
    assert again.status_code == 401
    assert login.status_code == 200


def _payloads(db: psycopg.Connection) -> int:
    row = db.execute("SELECT count(*) FROM payloads").fetchone()
    assert row is not None
    return int(row[0])


def test_ingest_refuses_deactivated_makers_and_revoked_tokens(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)
    worker = make_user(db, tenant, email="w@acme.test", role="manager")
    _, workers_token = make_token(db, tenant, user_id=worker)
    revoked_id, revoked = make_token(db, tenant)
    traces = f"{live.url}/v1/traces"
    assert (
        httpx.post(traces, json=SPAN, headers=bearer(workers_token)).status_code == 200
    )
    before = _payloads(db)

    httpx.post(
        f"{live.url}/v1/users/{worker}/deactivate", headers=admin
    ).raise_for_status()
    httpx.delete(f"{live.url}/v1/tokens/{revoked_id}", headers=admin).raise_for_status()

    for secret in (workers_token, revoked):
        answer = httpx.post(traces, json=SPAN, headers=bearer(secret))
        assert answer.status_code == 401
        assert (
            httpx.get(f"{live.url}/v1/auth/me", headers=bearer(secret)).status_code
            == 401
        )
    assert _payloads(db) == before
    assert (
        httpx.post(traces, json=SPAN, headers=bearer(tenant.token)).status_code == 200
    )


def test_broadcast_credentials_only_ingest(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)
    first = httpx.post(f"{live.url}/v1/broadcast-credentials", headers=admin).json()
    second = httpx.post(f"{live.url}/v1/broadcast-credentials", headers=admin).json()

    answer = httpx.get(f"{live.url}/v1/auth/me", headers=bearer(second["secret"]))
    stale = httpx.get(f"{live.url}/v1/auth/me", headers=bearer(first["secret"]))

    assert answer.status_code == 403
    assert stale.status_code == 401
    listed = httpx.get(f"{live.url}/v1/broadcast-credentials", headers=admin).json()
    assert [c["revoked_at"] is None for c in listed["items"]] == [True, False]


def test_changes_are_audited_with_before_and_after(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)
    user = make_user(db, tenant, email="u@acme.test")
    for role in ("manager", "user", "manager"):
        httpx.patch(
            f"{live.url}/v1/users/{user}/role", json={"role": role}, headers=admin
        ).raise_for_status()

    page = httpx.get(f"{live.url}/v1/audit?limit=2", headers=admin).json()
    rest = httpx.get(f"{live.url}/v1/audit?limit=2&offset=2", headers=admin).json()

    newest = page["items"][0]
    assert newest["action"] == "user.role_changed"
    assert newest["actor_user_id"] == str(tenant.user_id)
    assert newest["target_id"] == str(user)
    assert (newest["before"]["role"], newest["after"]["role"]) == ("user", "manager")
    assert page["next_offset"] == 2
    assert [e["action"] for e in rest["items"]] == ["user.role_changed"]
    assert rest["next_offset"] is None


def test_user_listing_pages_and_filters(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    admin = bearer(issue_session(live.settings, tenant.user_id).token)
    for n in range(3):
        make_user(db, tenant, email=f"u{n}@acme.test")

    first = httpx.get(f"{live.url}/v1/users?limit=2", headers=admin).json()
    second = httpx.get(f"{live.url}/v1/users?limit=2&offset=2", headers=admin).json()
    admins = httpx.get(f"{live.url}/v1/users?role=admin", headers=admin).json()

    assert len(first["items"]) == 2 and first["next_offset"] == 2
    assert len(second["items"]) == 2 and second["next_offset"] is None
    assert [u["id"] for u in admins["items"]] == [str(tenant.user_id)]
    assert uuid.UUID(first["items"][0]["id"]).version == 4


def test_production_refuses_to_start_without_a_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="STEREOS_JWT_SECRET"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="STEREOS_JWT_SECRET"):
        Settings(environment="production", jwt_secret="short")
    assert Settings(environment="production", jwt_secret="x" * 40).session_secret
