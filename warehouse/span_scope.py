"""Which spans a caller may read, as a SQL condition on the `spans` alias `s`.

An admin reads the whole customer's spans; a manager the spans of the teams
they are a member of, and their own; a user only their own. Spans attributed
to nobody are the admins' alone. Trace, span and diff reads all apply this,
span by span, so a trace id shared across teams shows each caller only their
part of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from psycopg import sql

from warehouse.access import Caller, member_team_ids


@dataclass(frozen=True, slots=True)
class SpanScope:
    """The spans one caller may read; `everyone` means the whole customer."""

    customer_id: uuid.UUID
    user_id: uuid.UUID
    everyone: bool
    team_ids: tuple[uuid.UUID, ...] = ()

    def condition(self) -> sql.Composable:
        """`s.customer_id = ... AND (who may be seen)`, values bound as literals.

        Literals rather than parameters: the planner then sees which index a
        user's or a manager's read can use, instead of a generic plan.
        """
        customer = sql.SQL("s.customer_id = {}").format(sql.Literal(self.customer_id))
        if self.everyone:
            return customer
        own = sql.SQL("s.user_id = {}").format(sql.Literal(self.user_id))
        if not self.team_ids:
            return sql.SQL("{} AND {}").format(customer, own)
        teams = sql.SQL("s.team_id = ANY({}::uuid[])").format(
            sql.Literal(list(self.team_ids))
        )
        return sql.SQL("{} AND ({} OR {})").format(customer, own, teams)


async def span_scope(conn: psycopg.AsyncConnection, caller: Caller) -> SpanScope:
    """What `caller` may read of the span log."""
    if caller.is_admin:
        return SpanScope(caller.customer_id, caller.user_id, everyone=True)
    teams: tuple[uuid.UUID, ...] = ()
    if caller.role == "manager":
        teams = tuple(sorted(await member_team_ids(conn, caller)))
    return SpanScope(caller.customer_id, caller.user_id, everyone=False, team_ids=teams)
