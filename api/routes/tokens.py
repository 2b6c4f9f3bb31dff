"""API tokens (`sk_...`) that agents and scripts use, scoped to one team."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
from fastapi import APIRouter, Response

from api.access import require_leader
from api.deps import CurrentCaller, Db, Writer
from api.errors import Forbidden, InvalidRequest
from api.schemas.errors import COMMON
from api.schemas.tokens import TokenCreate, TokenCreated, TokenList, TokenPublic
from warehouse import access, teams, tokens
from warehouse.access import Caller
from warehouse.errors import NotFound

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], responses=COMMON)


@router.post("", status_code=201)
async def create_token(body: TokenCreate, caller: Writer, conn: Db) -> TokenCreated:
    """Mint a token for a team (admins, and managers for the teams they manage).

    The token acts for you, with your role at the time it is used, narrowed
    to its `scopes`: `ingest` (send telemetry), `read`, `admin`. Telemetry
    sent with it goes to its team. The secret is in this answer only.
    """
    require_leader(caller, "create tokens")
    if body.customer_id != caller.customer_id:
        raise NotFound(f"no customer {body.customer_id}")
    await _manage(conn, caller, body.team_id)
    scopes = tuple(sorted(body.scopes or caller.scopes))
    beyond = set(scopes) - caller.scopes
    if beyond:
        raise Forbidden(f"you cannot grant scopes you lack: {sorted(beyond)}")
    if body.expires_at is not None and body.expires_at <= datetime.now(UTC):
        raise InvalidRequest("expires_at is in the past; give a future time")
    token, secret = await tokens.create(
        conn, caller, team_id=body.team_id, name=body.name, scopes=scopes,
        expires_at=body.expires_at,
    )  # fmt: skip
    return TokenCreated(**_public(token).model_dump(), token=secret)


@router.get("")
async def list_tokens(caller: CurrentCaller, conn: Db) -> TokenList:
    """Tokens without their secrets: all for admins; for managers, their
    teams' tokens and their own."""
    require_leader(caller, "list tokens")
    only = None if caller.is_admin else await access.managed_team_ids(conn, caller)
    rows = await tokens.listed(
        conn, customer_id=caller.customer_id, teams=only, user_id=caller.user_id
    )
    return TokenList(items=[_public(t) for t in rows])


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: uuid.UUID, caller: Writer, conn: Db) -> Response:
    """Revoke a token; it stops working at once."""
    require_leader(caller, "revoke tokens")
    token = await tokens.get(conn, customer_id=caller.customer_id, token_id=token_id)
    if token.user_id != caller.user_id:
        await _manage(conn, caller, token.team_id)
    await tokens.revoke(conn, caller, token_id=token_id)
    return Response(status_code=204)


async def _manage(
    conn: psycopg.AsyncConnection, caller: Caller, team_id: uuid.UUID
) -> None:
    team = await teams.get(conn, customer_id=caller.customer_id, team_id=team_id)
    if team.archived_at is not None:
        raise NotFound(f"team {team_id} is archived")
    if not await access.can_manage_team(conn, caller, team_id):
        raise Forbidden("managers may manage tokens only for the teams they manage")


def _public(token: tokens.Token) -> TokenPublic:
    return TokenPublic.model_validate(token, from_attributes=True)
