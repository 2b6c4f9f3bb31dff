"""Dependencies routes declare: the app state, a pooled connection, the caller.

`CurrentCaller` is who is calling the JSON API: a user with a session token,
or an `sk_` API token acting for the user who made it, with that user's
current role narrowed by the token's scopes. Routes that change something
declare `Writer`, which also requires the `admin` scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import security
from api.errors import Forbidden, Unauthorized
from api.state import AppState
from warehouse import credentials, users
from warehouse.access import ROLES, Caller, Role, effective_scopes
from warehouse.db import pooled

__all__ = ["Bearer", "Caller", "Conn", "CurrentCaller", "Db", "State", "Writer"]


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.stereos
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_conn(state: State) -> AsyncIterator[psycopg.AsyncConnection]:
    async with pooled(state.pool) as conn:
        yield conn


Conn = Annotated[psycopg.AsyncConnection, Depends(get_conn)]


def bearer_token(request: Request) -> str:
    """The secret of an `Authorization: Bearer ...` header, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return secret.strip()


Bearer = Annotated[str, Depends(bearer_token)]


# Function-scoped: the transaction commits before the response is sent, so a
# client that has its answer also sees the change in its next request.
Db = Annotated[psycopg.AsyncConnection, Depends(get_conn, scope="function")]


# Declares the scheme in OpenAPI; the header itself is read by bearer_token,
# so a missing one answers in the API's error shape.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A session token from /v1/auth/login, or an `sk_` API token.",
)
Declared = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def get_caller(
    request: Request, state: State, conn: Db, _declared: Declared
) -> Caller:
    """The authenticated caller of the JSON API, or 401/403."""
    secret = bearer_token(request)
    if secret.startswith(credentials.BROADCAST_PREFIX):
        if await credentials.authenticate(conn, secret) is None:
            raise Unauthorized("the bearer token is unknown, revoked or expired")
        raise Forbidden("a Broadcast credential can only send telemetry")
    if secret.startswith(credentials.TOKEN_PREFIX):
        return await _token_caller(conn, secret)
    user_id = security.session_user_id(state.settings, secret)
    user = await users.session_user(conn, user_id)
    if user is None or not user.active:
        raise Unauthorized("the session's user is deactivated or gone; log in again")
    role = _role(user.role)
    return Caller(user.customer_id, user.id, role, "session", effective_scopes(
        role, ["ingest", "read", "admin"]))  # fmt: skip


async def _token_caller(conn: psycopg.AsyncConnection, secret: str) -> Caller:
    credential = await credentials.authenticate(conn, secret)
    if credential is None:
        raise Unauthorized("the bearer token is unknown, revoked or expired")
    await credentials.touch(conn, credential)
    maker = None
    if credential.user_id is not None:
        maker = await users.session_user(conn, credential.user_id)
    if maker is None:
        raise Forbidden("this token acts for no user; it can only send telemetry")
    role = _role(maker.role)
    scopes = effective_scopes(role, credential.scopes)
    if not scopes & {"read", "admin"}:
        raise Forbidden("this token can only send telemetry; it has no 'read' scope")
    return Caller(
        customer_id=credential.customer_id,
        user_id=maker.id,
        role=role,
        via="token",
        scopes=scopes,
        token_id=credential.id,
        token_team_id=credential.team_id,
    )


ROLE_NAMES: dict[str, Role] = {role: role for role in ROLES}


def _role(value: str) -> Role:
    if value not in ROLE_NAMES:
        raise Forbidden(f"unknown role {value!r}")
    return ROLE_NAMES[value]


CurrentCaller = Annotated[Caller, Depends(get_caller, scope="function")]


def writer(caller: CurrentCaller) -> Caller:
    """The caller, if allowed to change things (the `admin` scope)."""
    if not caller.can_write:
        raise Forbidden("this token lacks the 'admin' scope needed to change things")
    return caller


Writer = Annotated[Caller, Depends(writer, scope="function")]
