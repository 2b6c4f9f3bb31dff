"""Module-scoped database and live server, for tests that share one world.

A route matrix builds its tenants once and then makes hundreds of requests;
a fresh database per test would spend its time cloning templates instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.fix_db import with_dbname
from tests.fix_server import LiveServer, serve, server_settings


@pytest.fixture(scope="module")
def module_db_url(pg_server: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database shared by the tests of one module."""
    name = f"stereos_mod_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_db)
            )
        )
    yield with_dbname(pg_server, name)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


@pytest.fixture(scope="module")
def module_db(module_db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the module's database."""
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def module_live(module_db_url: str) -> Iterator[LiveServer]:
    """The API on loopback over the module's database."""
    yield from serve(module_db_url, server_settings())
