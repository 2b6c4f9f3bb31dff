"""The `stereos` command line: start the service, manage the database and tenants."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any

import click
import psycopg

from stereos.database import database_url
from stereos.logs import configure
from stereos.settings import Settings, get_settings
from warehouse import credentials, identity
from warehouse.db import connect
from warehouse.migrate import migrate

ROLES = click.Choice(["admin", "manager", "user"])
SCOPES = click.Choice(list(credentials.ALL_SCOPES))


def _settings() -> Settings:
    settings = get_settings()
    configure(settings.log_level)
    return settings


def _with_db(work: Callable[[psycopg.Connection], Any]) -> Any:
    """Run `work` in one committed transaction on the configured database."""
    url = database_url(_settings())
    with connect(url) as conn:
        migrate(conn)
        return work(conn)


@click.group()
def main() -> None:
    """Stereos: see what your LLM apps and coding agents do."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="API port (default 3000).")
@click.option("--workers", default=None, type=int, help="API worker processes.")
@click.option(
    "--pipeline/--no-pipeline",
    default=True,
    show_default=True,
    help="Also run the Dagster daemon and UI (off when they run elsewhere).",
)
def start(
    host: str | None, port: int | None, workers: int | None, pipeline: bool
) -> None:
    """Migrate the database, serve the API and run the Dagster daemon and UI."""
    import uvicorn

    from stereos.logs import config

    settings = _settings()
    url = database_url(settings)
    with connect(url) as conn:
        migrate(conn)
    # Worker processes read their settings afresh: hand them the database.
    os.environ["DATABASE_URL"] = url
    click.echo(
        f"stereos: API on http://{host or settings.host}:{port or settings.port}"
    )
    from stereos.dagster_processes import start_dagster, stop_dagster

    dagster = start_dagster(settings, url) if pipeline else []
    if dagster:
        click.echo(
            f"stereos: Dagster UI on http://{settings.dagster_host}:"
            f"{settings.dagster_port} (marts refresh as data arrives)"
        )
    try:
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers or settings.workers,
            log_config=config(settings.log_level),
            timeout_graceful_shutdown=10,
        )
    finally:
        stop_dagster(dagster)


@main.group()
def db() -> None:
    """Database schema and connection."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending SQL migrations (safe to run again)."""
    applied = _with_db(lambda conn: migrate(conn))
    click.echo(f"applied {len(applied)} migration(s)" if applied else "up to date")


@db.command("url")
def db_url() -> None:
    """Print the database URL in use (starts the embedded one if needed)."""
    click.echo(database_url(_settings(), stop_on_exit=False))


@main.group()
def customer() -> None:
    """Customers (tenants)."""


@customer.command("create")
@click.argument("name")
def customer_create(name: str) -> None:
    """Create a customer and print its id."""
    click.echo(_with_db(lambda conn: identity.create_customer(conn, name)))


@main.group()
def team() -> None:
    """Teams of a customer."""


@team.command("create")
@click.option("--customer", "customer_id", required=True, type=click.UUID)
@click.argument("name")
def team_create(customer_id: uuid.UUID, name: str) -> None:
    """Create a team and print its id."""
    click.echo(
        _with_db(
            lambda conn: identity.create_team(conn, customer_id=customer_id, name=name)
        )
    )


@main.group()
def user() -> None:
    """Users of a customer."""


@user.command("create")
@click.option("--customer", "customer_id", required=True, type=click.UUID)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=ROLES, default="user", show_default=True)
@click.option("--team", "team_id", type=click.UUID, help="The user's own team.")
def user_create(
    customer_id: uuid.UUID, email: str, name: str, role: str, team_id: uuid.UUID | None
) -> None:
    """Create a user (a member of --team) and print its id."""
    click.echo(
        _with_db(
            lambda conn: identity.create_user(
                conn,
                customer_id=customer_id,
                email=email,
                name=name,
                role=role,
                team_id=team_id,
            )
        )
    )


@main.group()
def token() -> None:
    """API tokens (sk_...) for senders and scripts."""


@token.command("create")
@click.option("--customer", "customer_id", required=True, type=click.UUID)
@click.option("--team", "team_id", required=True, type=click.UUID)
@click.option("--name", required=True, help="What the token is for.")
@click.option("--user", "user_id", type=click.UUID, help="The user it acts for.")
@click.option("--scope", "scopes", type=SCOPES, multiple=True, help="Repeatable.")
def token_create(
    customer_id: uuid.UUID,
    team_id: uuid.UUID,
    name: str,
    user_id: uuid.UUID | None,
    scopes: tuple[str, ...],
) -> None:
    """Create a token; the secret is printed once and never stored in clear."""
    _, secret = _with_db(
        lambda conn: credentials.create_token(
            conn,
            customer_id=customer_id,
            team_id=team_id,
            name=name,
            user_id=user_id,
            scopes=scopes or credentials.ALL_SCOPES,
        )
    )
    click.echo(secret)


@main.group("broadcast-credential")
def broadcast_credential() -> None:
    """Credentials for OpenRouter Broadcast destinations (orb_...)."""


@broadcast_credential.command("create")
@click.option("--customer", "customer_id", required=True, type=click.UUID)
def broadcast_create(customer_id: uuid.UUID) -> None:
    """Create a Broadcast credential; the secret is printed once."""
    _, secret = _with_db(
        lambda conn: credentials.create_broadcast_credential(
            conn, customer_id=customer_id
        )
    )
    click.echo(secret)


@main.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default="openapi.yaml",
    show_default=True,
    help="Where to write the document; '-' prints it.",
)
def openapi(output: str) -> None:
    """Write the API's OpenAPI 3.1 document (checked in as openapi.yaml)."""
    from api.openapi import document

    text = document()
    if output == "-":
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as out:
        out.write(text)
    click.echo(f"wrote {output}")


@main.command()
def replay() -> None:
    """Rebuild span, metric and log rows from the raw payloads in the log."""
    from stereos.replay import replay as run_replay

    url = database_url(_settings())

    async def work() -> None:
        conn = await psycopg.AsyncConnection.connect(url)
        async with conn:
            count = await run_replay(conn)
        click.echo(f"replayed {count.payloads} payloads into {count.rows} rows")

    asyncio.run(work())


@main.command()
@click.option("--progress/--no-progress", default=True, show_default=True)
def backfill(progress: bool) -> None:
    """Rebuild the lake and every mart from the whole log, then publish them."""
    from warehouse.lake import Lake
    from warehouse.refresh import STEPS, refresh

    settings = _settings()
    url = database_url(settings)
    lake = Lake.at(settings.lake_location)
    with connect(url) as conn:
        migrate(conn)
        with click.progressbar(
            length=STEPS, label="backfill", show_pos=True, hidden=not progress
        ) as bar:
            done = refresh(
                conn,
                lake,
                settings.marts_file,
                full=True,
                memory=settings.marts_memory_limit,
                progress=lambda step: _advance(bar, step),
            )
    click.echo(
        f"rebuilt {len(done.staged.days)} day(s) from log seq {done.lake.as_of.seq}; "
        f"marts at {settings.marts_file}"
    )


def _advance(bar: Any, step: str) -> None:
    bar.label = f"backfill: {step}"
    bar.update(1)


@main.command()
@click.argument("query")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "parquet"]), default="table"
)
@click.option("--output", type=click.Path(dir_okay=False), help="File for parquet.")
def sql(query: str, fmt: str, output: str | None) -> None:
    """Run read-only SQL on the marts and print the result."""
    import duckdb

    from stereos.sql_console import run_sql
    from warehouse.errors import MartsError

    settings = _settings()
    try:
        text = run_sql(settings.marts_file, query, fmt=fmt, output=output)
    except (duckdb.Error, MartsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(text, nl=False)
