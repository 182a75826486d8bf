"""The `fase` command line: one entry point for every pipeline step and operation.

Each subcommand lives in a module of hub/commands/ exposing ``commands`` (a list of click
commands or groups); COMMAND_MODULES lists them in the order `fase --help` shows.
"""

from __future__ import annotations

import importlib
import sys

import click

from configuration import ConfigError
from warehouse.locks import EXIT_BUSY, StepBusy

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
    "hub.commands.docs",
    "hub.commands.api_keys",
    "hub.commands.audit",
    "hub.commands.serve",
    "hub.commands.linkage",
    "hub.commands.review",
]


class HubGroup(click.Group):
    """The root command: a step that finds its lock taken says who holds it in one line and exits 75."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StepBusy as exc:
            click.echo(str(exc), err=True)
            raise click.exceptions.Exit(EXIT_BUSY) from None


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="FASE_CONFIG",
    type=click.Path(dir_okay=False),
    default="config/sandbox.yaml",
    show_default=True,
    help="hub configuration file (env FASE_CONFIG)",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str) -> None:
    """fase-hub: sync the five social information systems, validate, link and publish beneficiaries."""
    ctx.obj = {"config_path": config_path}


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
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)
