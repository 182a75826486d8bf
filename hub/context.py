"""What CLI commands share: the configuration and warehouse engine of the click context, `--wait`, and the
per-system loop of sync and stage."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy.engine import Engine

from configuration import HubConfig, load_config
from warehouse.db import make_engine
from warehouse.locks import EXIT_BUSY, StepBusy
from warehouse.scrub import summarise_error


def get_config(ctx: click.Context) -> HubConfig:
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj["config_path"])
    return obj["config"]


def get_engine(ctx: click.Context) -> Engine:
    obj = ctx.find_root().obj
    if "engine" not in obj:
        obj["engine"] = make_engine(get_config(ctx).warehouse.sqlalchemy_url())
    return obj["engine"]


def wait_option(command):
    """`--wait SECONDS` on a command whose step takes a lock in the warehouse."""
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=0.0,
        metavar="SECONDS",
        help=f"if the step is already running, wait up to SECONDS for it (default: exit at once, code {EXIT_BUSY})",
    )(command)


def for_each_system(systems, step: Callable[[str], dict], show: Callable[[str, dict], None], what: str) -> None:
    """Run `step(system)` for each system, `show` each summary; a failure or a busy lock is reported in one line
    and the others go on. Then exit 1 naming the failed systems, or 75 when some were only busy."""
    failed, busy = [], []
    for system in systems:
        try:
            summary = step(system)
        except StepBusy as exc:
            busy.append(system)
            click.echo(f"{system}: {exc}", err=True)
            continue
        except Exception as exc:  # report and go on with the other systems; the run table has the failure
            failed.append(system)
            click.echo(f"{system}: FAILED — {summarise_error(exc)}", err=True)
            continue
        show(system, summary)
    if failed:
        raise click.ClickException(f"{what} failed for: {', '.join(failed)}")
    if busy:
        raise click.exceptions.Exit(EXIT_BUSY)
