"""From an OTLP body to committed log rows: decode, attribute, append.

Shared by the API's OTLP routes and `stereos replay`, so both produce the same
rows from the same payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from ingest import otlp_json, otlp_protobuf
from ingest.records import Decoded, Signal
from ingest.responses import JSON
from ingest.rows import Row, rows
from warehouse.identity import KnownUser, resolve_users
from warehouse.log import Attribution

# A row's user id, user email and team as the sender named them.
_Names = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A decoded request and its rows, ready to append."""

    decoded: Decoded
    rows: list[Row]


def prepare(signal: Signal, media: str, body: bytes) -> Prepared:
    """Decode a body of the given media type; raises ingest errors on bad input."""
    decoder = otlp_json.decode if media == JSON else otlp_protobuf.decode
    decoded = decoder(signal, body)
    return Prepared(decoded, list(rows(decoded)))


async def attribute(
    conn: psycopg.AsyncConnection,
    *,
    customer_id: uuid.UUID,
    credential_kind: str,
    team_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    rows: Sequence[Row],
) -> list[tuple[Attribution, tuple[Any, ...]]]:
    """Attach the Stereos user and team to every row, per the credential's rules.

    An `sk_` token forces its team on every row. The row's user is the Stereos
    user whose id or email the sender named; a row naming nobody belongs to
    the token's maker; a row naming an unknown user is kept, unattributed.
    An OpenRouter Broadcast credential has no team: a row goes to the team in
    its trace metadata when its user belongs to it, else to the user's team.
    """
    named = {row.user_ref for row in rows} | {row.user_email for row in rows}
    refs = {ref for ref in named if ref}
    known = await resolve_users(conn, customer_id=customer_id, refs=refs)
    # A batch names few distinct people: rows naming the same share one decision.
    decided: dict[_Names, Attribution] = {}
    out = []
    for row in rows:
        names = (row.user_ref, row.user_email, row.team_ref)
        who = decided.get(names)
        if who is None:
            who = decided[names] = _decide(
                names, known, credential_kind, team_id, user_id
            )
        out.append((who, row.values))
    return out


def _decide(
    names: _Names,
    known: dict[str, KnownUser],
    credential_kind: str,
    team_id: uuid.UUID | None,
    maker: uuid.UUID | None,
) -> Attribution:
    user_ref, email, team_ref = names
    user = known.get(user_ref or "") or known.get(email or "")
    named = user_ref or email
    if credential_kind == "broadcast":
        return _broadcast(user, named, team_ref)
    return _token(user, named, team_id, maker)


def _token(
    user: KnownUser | None,
    named: str | None,
    team_id: uuid.UUID | None,
    maker: uuid.UUID | None,
) -> Attribution:
    if user is not None:
        return Attribution(team_id, user.id, named, True)
    if named is None:
        return Attribution(team_id, maker, None, maker is not None)
    return Attribution(team_id, None, named, False)


def _broadcast(
    user: KnownUser | None, named: str | None, team_ref: str | None
) -> Attribution:
    if user is None:
        return Attribution(None, None, named, False)
    team = _as_uuid(team_ref)
    if team is None or team not in user.team_ids:
        team = user.team_id
    return Attribution(team, user.id, named, True)


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
