"""Logging in, accepting an invite, and who am I."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentCaller, Db, State
from api.errors import Unauthorized
from api.schemas.errors import error_responses
from api.schemas.users import (
    CallerPublic,
    InviteAccept,
    LoginRequest,
    SessionPublic,
    UserPublic,
)
from api.security import issue_session
from stereos.settings import Settings
from warehouse import invites, users
from warehouse.errors import NotFound
from warehouse.passwords import hash_password, verify_password

router = APIRouter(prefix="/v1/auth", tags=["auth"])

# TODO: login and accept-invite hash with argon2 for anonymous callers; add
# per-address and per-client rate limits before exposing this to the internet.
WRONG_LOGIN = "the email or password is wrong"


@router.post("/login", responses=error_responses(401, 422))
async def login(body: LoginRequest, state: State, conn: Db) -> SessionPublic:
    """Exchange an email and password for a short-lived session token.

    A wrong password and an unknown email get the same answer.
    """
    account = await users.find_login(conn, body.email)
    stored = account.password_hash if account else None
    matches = await run_in_threadpool(verify_password, stored, body.password)
    if account is None or not matches or not account.active:
        raise Unauthorized(WRONG_LOGIN)
    return _session(state.settings, account.id)


@router.post("/accept-invite", responses=error_responses(401, 422))
async def accept_invite(body: InviteAccept, state: State, conn: Db) -> SessionPublic:
    """Choose your password with the one-time invite code an admin gave you."""
    password_hash = await run_in_threadpool(hash_password, body.password)
    try:
        user_id = await invites.accept(
            conn, code=body.code, password_hash=password_hash
        )
    except NotFound as exc:
        raise Unauthorized(str(exc)) from exc
    return _session(state.settings, user_id)


@router.get("/me", responses=error_responses(401, 403))
async def me(caller: CurrentCaller, conn: Db) -> CallerPublic:
    """The caller: their user, customer, and how they authenticated."""
    user = await users.get(conn, customer_id=caller.customer_id, user_id=caller.user_id)
    return CallerPublic(
        user=UserPublic.model_validate(user, from_attributes=True),
        customer_id=caller.customer_id,
        via=caller.via,
        scopes=sorted(caller.scopes),
        token_id=caller.token_id,
    )


def _session(settings: Settings, user_id: uuid.UUID) -> SessionPublic:
    session = issue_session(settings, user_id)
    return SessionPublic(
        token=session.token, expires_at=session.expires_at, user_id=user_id
    )
