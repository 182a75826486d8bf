"""`fase config check`: validate the configuration and report the secrets it needs."""

from __future__ import annotations

import os

import click

from hub.context import get_config


@click.group("config")
def config_group() -> None:
    """Inspect and validate the hub configuration."""


@config_group.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the configuration file and say which named secrets are missing from the environment."""
    cfg = get_config(ctx)
    click.echo(f"configuration {ctx.find_root().obj['config_path']}: valid ({cfg.mode})")
    click.echo(f"  warehouse: {cfg.warehouse.url}")
    names = [
        cfg.secrets.iban_hash_key_env,
        cfg.secrets.pseudonym_key_env,
        cfg.secrets.console_secret_env,
        cfg.sources.sat.token_env,
        cfg.sources.polis.api_key_env,
    ]
    names += [
        e.password_env for e in (cfg.warehouse, cfg.sources.volontariato, cfg.sources.contabilita) if e.password_env
    ]
    names += [r.password_env for r in (cfg.database_roles.api, cfg.database_roles.analyst) if r is not None]
    names += [cfg.api.redis_password_env] if cfg.api.redis_password_env else []
    missing = [n for n in names if not os.environ.get(n)]
    for n in names:
        click.echo(f"  secret {n}: {'MISSING' if n in missing else 'set'}")
    if missing:
        raise click.ClickException(f"missing environment variables: {', '.join(missing)}")


commands = [config_group]
