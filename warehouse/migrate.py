"""Applies the plain SQL migrations in order and records each one."""

from __future__ import annotations

import logging
from importlib import resources

import psycopg

from warehouse.errors import MigrationError

logger = logging.getLogger(__name__)

# Serialises concurrent `stereos db migrate` runs (several workers starting).
MIGRATION_LOCK = 7_301_001
PARTITION_MONTHS_AHEAD = 3

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
APPLIED = "SELECT version FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version) VALUES (%s)"
ENSURE_PARTITIONS = "SELECT stereos_ensure_partitions(now() - interval '1 month', %s)"


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) of every migration, in the order they apply."""
    folder = resources.files("warehouse") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), (folder / name).read_text()) for name in names]


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations not yet applied; return their versions.

    Idempotent: a second run applies nothing. Each migration commits with its
    ledger row, so a failure leaves the earlier ones applied.
    """
    applied_now = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(CREATE_LEDGER)
        done = {row[0] for row in conn.execute(APPLIED)}
        for version, text in migration_files():
            if version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(text.encode())
                    conn.execute(RECORD, (version,))
            except psycopg.Error as exc:
                raise MigrationError(f"migration {version} failed: {exc}") from exc
            logger.info("applied migration %s", version)
            applied_now.append(version)
        ensure_partitions(conn)
    return applied_now


def ensure_partitions(conn: psycopg.Connection) -> None:
    """Create the log's monthly partitions from last month to a few ahead."""
    conn.execute(ENSURE_PARTITIONS, (PARTITION_MONTHS_AHEAD + 1,))
