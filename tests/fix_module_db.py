"""Module-scoped database and live server, for tests that share one world.

A route matrix builds its tenants once and then makes hundreds of requests;
a fresh database per test would spend its time cloning templates instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.fix_db import cloned_database
from tests.fix_server import LiveServer, serve, server_settings


@pytest.fixture(scope="module")
def module_db_url(pg_server: str, template_db: str) -> Iterator[str]:
    """A fresh, migrated database shared by the tests of one module."""
    with cloned_database(pg_server, template_db, "stereos_mod") as url:
        yield url


@pytest.fixture(scope="module")
def module_db(module_db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the module's database."""
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def module_live(module_db_url: str) -> Iterator[LiveServer]:
    """The API on loopback over the module's database."""
    yield from serve(module_db_url, server_settings())
