"""`fase db`: create or upgrade the warehouse schema with Alembic, show its revision, set up its roles."""

from __future__ import annotations

import click

from hub.context import get_config, get_engine


@click.group("db")
def db_group() -> None:
    """Manage the warehouse schema (Alembic migrations) and its database roles."""


def _grants(ctx: click.Context) -> None:
    from warehouse import roles

    cfg = get_config(ctx)
    engine = get_engine(ctx)
    if engine.dialect.name != "postgresql" or not (cfg.database_roles.api or cfg.database_roles.analyst):
        return
    with engine.begin() as conn:
        for line in roles.grant(conn, cfg.database_roles):
            click.echo(line)


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Create the warehouse or migrate it to REVISION (safe to repeat); refresh the roles' rights."""
    from warehouse import db

    engine = get_engine(ctx, require_current=False)
    db.upgrade(engine, revision)
    click.echo(f"warehouse {db.display_url(engine)} at revision {db.current_revision(engine)}")
    _grants(ctx)


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


@db_group.command("roles")
@click.option("--admin-url", help="a role that may create roles (CREATEROLE), if the owner may not; no password")
@click.option("--admin-password-env", help="environment variable holding the admin's password")
@click.pass_context
def roles_command(ctx: click.Context, admin_url: str | None, admin_password_env: str | None) -> None:
    """Create the API and analyst roles named in `database_roles`, set their passwords from the environment
    and grant them exactly their rights (PostgreSQL; safe to repeat). Run as the warehouse owner."""
    from sqlalchemy.engine import make_url

    from configuration import require_env
    from warehouse import roles
    from warehouse.db import make_engine

    cfg = get_config(ctx)
    engine = get_engine(ctx)
    if engine.dialect.name != "postgresql":
        raise click.ClickException("database roles exist only on PostgreSQL: the warehouse is not")
    if not (cfg.database_roles.api or cfg.database_roles.analyst):
        raise click.ClickException("no database_roles in the configuration: nothing to create")
    admin = engine
    if admin_url:
        url = make_url(admin_url)
        if url.password:
            raise click.BadParameter("no password in the URL: name its variable with --admin-password-env")
        if admin_password_env:
            url = url.set(password=require_env(admin_password_env))
        admin = make_engine(url.set(database=engine.url.database))
    try:
        with admin.begin() as conn:
            for line in roles.ensure_roles(conn, cfg.database_roles):
                click.echo(line)
    except roles.RolesError as exc:
        raise click.ClickException(str(exc)) from None
    _grants(ctx)
    if admin is not engine:
        admin.dispose()


commands = [db_group]
