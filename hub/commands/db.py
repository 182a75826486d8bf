"""`fase db`: create or upgrade the warehouse schema with Alembic, show its revision."""

from __future__ import annotations

import click

from hub.context import get_engine


@click.group("db")
def db_group() -> None:
    """Manage the warehouse schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Create the warehouse or migrate it to REVISION (safe to repeat)."""
    from warehouse import db

    engine = get_engine(ctx, require_current=False)
    db.upgrade(engine, revision)
    click.echo(f"warehouse {db.display_url(engine)} at revision {db.current_revision(engine)}")


@db_group.command("current")
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the warehouse's current migration revision, and whether it is this code's newest."""
    from warehouse import db

    current, head = db.stored_revision(get_engine(ctx, require_current=False)), db.head_revision()
    if current is None:
        click.echo("(empty: run `fase db upgrade`)")
    else:
        click.echo(current if current == head else f"{current} (this code's newest is {head}: run `fase db upgrade`)")


commands = [db_group]
