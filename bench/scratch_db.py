"""A fresh, migrated database for a benchmark, and the benchmark's tenant."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from warehouse import credentials, identity
from warehouse.embedded import start_embedded
from warehouse.migrate import migrate


@dataclass(frozen=True, slots=True)
class Tenant:
    """The benchmark's customer, its ingest token and its users' emails."""

    customer_id: uuid.UUID
    token: str
    emails: tuple[str, ...]


@contextlib.contextmanager
def database(given: str | None, workdir: Path) -> Iterator[str]:
    """A URL of a fresh, migrated database: on `given`'s server, or embedded."""
    if given is None:
        url = start_embedded(workdir / "pgdata", stop_on_exit=True)
        _migrate(url)
        yield url
        return
    name = f"stereos_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(given, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_conninfo(given, dbname=name)
        _migrate(url)
        yield url
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        with psycopg.connect(given, autocommit=True) as admin:
            admin.execute(drop.format(sql.Identifier(name)))


def _migrate(url: str) -> None:
    with psycopg.connect(url) as conn:
        migrate(conn)


def make_tenant(url: str, users: int) -> Tenant:
    """A customer with three teams, `users` users and an admin's ingest token."""
    with psycopg.connect(url) as conn:
        customer = identity.create_customer(conn, "Bench Corp")
        teams = [
            identity.create_team(conn, customer_id=customer, name=name)
            for name in ("Platform", "Support", "Research")
        ]
        emails = tuple(f"user{i:03d}@benchcorp.test" for i in range(users))
        ids = [
            identity.create_user(
                conn,
                customer_id=customer,
                email=email,
                name=email.split("@")[0],
                role="admin" if i == 0 else "user",
                team_id=teams[i % len(teams)],
            )
            for i, email in enumerate(emails)
        ]
        _, token = credentials.create_token(
            conn, customer_id=customer, team_id=teams[0], name="bench", user_id=ids[0]
        )
    return Tenant(customer, token, emails)
