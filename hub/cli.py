"""The `fase` command line: one entry point for every pipeline step and operation.

Each subcommand lives in a module of hub/commands/ exposing ``commands`` (a list of click
commands or groups); COMMAND_MODULES lists them in the order `fase --help` shows. Those modules
import click and hub.context only: pandas, SQLAlchemy, Alembic, the connectors, the linkage and
Airflow are imported by a command when it runs, so that `fase --help` answers at once.

An error a user can act on ends the command with one line and a documented exit code
(hub/exit_codes.py, listed in `fase --help`); the traceback is shown only with `--debug`.
"""

from __future__ import annotations

import importlib
import sys

import click

from hub import exit_codes

COMMAND_MODULES = [
    "hub.commands.config",
    "hub.commands.db",
    "hub.commands.sandbox",
    "hub.commands.sync",
    "hub.commands.reconcile",
    "hub.commands.stage",
    "hub.commands.publish",
    "hub.commands.runs",
    "hub.commands.quality",
    "hub.commands.demo",
    "hub.commands.airflow",
    "hub.commands.docs",
    "hub.commands.api_keys",
    "hub.commands.audit",
    "hub.commands.serve",
    "hub.commands.linkage",
    "hub.commands.review",
]

EPILOG = "\b\nExit codes:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in exit_codes.TABLE)


def explain(exc: Exception, config_path: str) -> tuple[int, str] | None:
    """The exit code and the one line for an error the user can act on; None for any other."""
    from configuration import ConfigError
    from warehouse.db import WarehouseNotCurrent, WarehouseUnreachable
    from warehouse.locks import StepBusy

    if isinstance(exc, StepBusy):
        return exit_codes.BUSY, str(exc)
    if isinstance(exc, ConfigError):
        return exit_codes.USAGE, f"error: {exc}"
    if isinstance(exc, WarehouseUnreachable):
        return (
            exit_codes.WAREHOUSE_UNREACHABLE,
            f"error: {exc} (configuration field warehouse.url in {config_path})",
        )
    if isinstance(exc, WarehouseNotCurrent):
        return (
            exit_codes.WAREHOUSE_NOT_CURRENT,
            f"error: {exc}: run `fase db upgrade` (commands that only read never migrate)",
        )
    return None


class HubGroup(click.Group):
    """The root command: an error the user can act on (a step already running, a bad configuration, the
    warehouse unreachable or not migrated) becomes one line and its exit code; any other error one line and
    exit 1. `--debug` (or FASE_DEBUG=1) lets the traceback through instead."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            obj = ctx.obj or {}
            if obj.get("debug"):
                raise
            known = explain(exc, obj.get("config_path", "?"))
            if known is None:
                from warehouse.scrub import summarise_error

                known = exit_codes.FAILED, f"error: {summarise_error(exc)} (run with --debug for the traceback)"
            code, line = known
            click.echo(line, err=True)
            raise click.exceptions.Exit(code) from None


@click.group(
    cls=HubGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    envvar="FASE_CONFIG",
    type=click.Path(dir_okay=False),
    default="config/sandbox.yaml",
    show_default=True,
    help="hub configuration file (env FASE_CONFIG)",
)
@click.option("--debug", is_flag=True, envvar="FASE_DEBUG", help="show the traceback of an error (env FASE_DEBUG=1)")
@click.pass_context
def cli(ctx: click.Context, config_path: str, debug: bool) -> None:
    """fase-hub: sync the five social information systems, validate, link and publish beneficiaries."""
    ctx.obj = {"config_path": config_path, "debug": debug}


for _name in COMMAND_MODULES:
    for _cmd in importlib.import_module(_name).commands:
        cli.add_command(_cmd)


def main() -> None:
    try:
        code = cli(standalone_mode=False)  # a click.exceptions.Exit inside comes back as its code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
