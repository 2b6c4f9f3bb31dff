"""Dependencies routes declare: the app state, a pooled connection, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request

from api.errors import Unauthorized
from api.state import AppState
from warehouse.db import pooled


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
