"""`fase db`: create or upgrade the warehouse schema with Alembic, show its revision."""

from __future__ import annotations

import click

from hub.context import get_engine
from warehouse import db


@click.group("db")
def db_group() -> None:
    """Manage the warehouse schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Create the warehouse or migrate it to REVISION (safe to repeat)."""
    engine = get_engine(ctx)
    db.upgrade(engine, revision)
    click.echo(f"warehouse {engine.url.render_as_string(hide_password=True)} at revision {db.current_revision(engine)}")


@db_group.command("current")
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the warehouse's current migration revision."""
    click.echo(db.current_revision(get_engine(ctx)) or "(empty: run `fase db upgrade`)")


commands = [db_group]
