"""The `stereos` command line."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import click
import psycopg
import pytest
from click.testing import CliRunner

from stereos.cli import main
from warehouse.credentials import hash_secret


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert "Options:" in result.output


def _stereos(db_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": db_url, "STEREOS_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "stereos", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_cli_creates_a_tenant_and_a_hashed_token(
    db_url: str, db: psycopg.Connection
) -> None:
    customer = _stereos(db_url, "customer", "create", "Acme")
    team = _stereos(db_url, "team", "create", "--customer", customer, "Platform")
    user = _stereos(
        db_url, "user", "create", "--customer", customer, "--email",
        "ada@acme.test", "--name", "Ada", "--role", "admin", "--team", team,
    )  # fmt: skip
    token = _stereos(
        db_url, "token", "create", "--customer", customer, "--team", team,
        "--name", "laptop", "--user", user,
    )  # fmt: skip
    broadcast = _stereos(
        db_url, "broadcast-credential", "create", "--customer", customer
    )

    assert token.startswith("sk_")
    secret = base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))
    assert len(secret) >= 32
    assert broadcast.startswith("orb_")
    stored = db.execute("SELECT token_hash, prefix FROM api_tokens").fetchall()
    assert stored == [(hash_secret(token), token[:10])]
    dump = db.execute("SELECT string_agg(t::text, ' ') FROM api_tokens t").fetchone()
    assert dump is not None and token not in dump[0] and token[10:] not in dump[0]
    member = db.execute("SELECT team_id FROM team_memberships").fetchone()
    assert member is not None and str(member[0]) == team
