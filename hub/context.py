"""What CLI commands share: the configuration and warehouse engine of the click context, `--wait`, and the
per-system loop of sync and stage.

A command that writes asks `get_engine(ctx, migrate=True)` (the warehouse is created or migrated first); a
command that only reads asks `get_engine(ctx)`, which never migrates: it fails with WarehouseNotCurrent when
the schema is not this code's (`fase db upgrade` fixes it). Either way an unreachable warehouse fails at once
with WarehouseUnreachable (hub/cli.py turns both into one line and an exit code). Heavy libraries are
imported when a command runs, not when `fase --help` lists the commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.exit_codes import BUSY

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from configuration import HubConfig


class LazyChoice(click.Choice):
    """A click.Choice whose values are loaded when first needed (parsing, or the command's own --help), so that
    listing the commands in `fase --help` does not import the modules that define them."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self.case_sensitive = True

    @cached_property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]  # click.Choice sets it in __init__
        return tuple(self._load())


def system_choice() -> LazyChoice:
    """The five system keys (configuration.SYSTEMS) as a click choice."""

    def systems() -> Sequence[str]:
        from configuration import SYSTEMS

        return SYSTEMS

    return LazyChoice(systems)


def get_config(ctx: click.Context) -> HubConfig:
    from configuration import load_config

    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj["config_path"])
    return obj["config"]


def get_engine(ctx: click.Context, *, migrate: bool = False, require_current: bool = True) -> Engine:
    """The warehouse engine, reachable (WarehouseUnreachable otherwise), and either migrated to head (`migrate`)
    or checked to be at head without migrating (WarehouseNotCurrent; `require_current=False` skips the check)."""
    from warehouse import db

    obj = ctx.find_root().obj
    if "engine" not in obj:
        url = get_config(ctx).warehouse.sqlalchemy_url()
        reader = require_current and not migrate
        if reader and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database).resolve()
            if not path.exists():  # a reader must not leave an empty warehouse file behind
                raise db.WarehouseNotCurrent(str(url.set(database=str(path))), None, db.head_revision())
        engine = db.make_engine(url)
        db.check_reachable(engine)
        obj["engine"] = engine
    engine = obj["engine"]
    if migrate and not obj.get("migrated"):
        db.upgrade(engine)
        obj["migrated"] = True
    elif require_current and not obj.get("migrated"):
        db.require_current(engine)
        obj["migrated"] = True  # checked: at head
    return engine


def wait_option(command):
    """`--wait SECONDS` on a command whose step takes a lock in the warehouse."""
    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=0.0,
        metavar="SECONDS",
        help=f"if the step is already running, wait up to SECONDS for it (default: exit at once, code {BUSY})",
    )(command)


def for_each_system(systems, step: Callable[[str], dict], show: Callable[[str, dict], None], what: str) -> None:
    """Run `step(system)` for each system, `show` each summary; a failure or a busy lock is reported in one line
    and the others go on. Then exit 1 naming the failed systems, or 75 when some were only busy."""
    from hub.source_check import SourceUnavailable
    from warehouse.locks import StepBusy
    from warehouse.scrub import summarise_error

    failed, busy = [], []
    for system in systems:
        try:
            summary = step(system)
        except StepBusy as exc:
            busy.append(system)
            click.echo(f"{system}: {exc}", err=True)
            continue
        except SourceUnavailable as exc:  # says what to do (e.g. start the sandbox): shown as is
            failed.append(system)
            click.echo(f"{system}: FAILED — {exc}", err=True)
            continue
        except Exception as exc:  # report and go on with the other systems; the run table has the failure
            failed.append(system)
            click.echo(f"{system}: FAILED — {summarise_error(exc)}", err=True)
            continue
        show(system, summary)
    if failed:
        raise click.ClickException(f"{what} failed for: {', '.join(failed)}")
    if busy:
        raise click.exceptions.Exit(BUSY)
