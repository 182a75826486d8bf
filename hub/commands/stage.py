"""`fase stage`: validate raw records against their contracts, quarantine failures, standardise into staging."""

from __future__ import annotations

import click

from configuration import SYSTEMS
from hub.commands.quality import run_suites
from hub.context import get_config, get_engine
from schemas.stage import stage_system
from warehouse import db

COLUMNS = ("received", "staged", "quarantined", "deleted", "kept_last_valid", "released", "seconds")
"""kept_last_valid: quarantined records whose last valid version stays staged (flagged superseded_by)."""


def format_stage_summary(summary: dict) -> str:
    widths = [max(12, len(c)) for c in COLUMNS]
    lines = ["  " + f"{'stream':<26}" + " ".join(f"{c:>{w}}" for c, w in zip(COLUMNS, widths)) + "  check"]
    for s in summary["streams"]:
        check = "received = staged + quarantined + deleted" if s["adds_up"] else "COUNTS DO NOT ADD UP"
        values = " ".join(f"{s[c]:>{w}}" for c, w in zip(COLUMNS, widths))
        lines.append("  " + f"{s['system'] + '.' + s['stream']:<26}" + values + f"  {check}")
    return "\n".join(lines)


@click.command("stage")
@click.argument("systems", nargs=-1, type=click.Choice(SYSTEMS))
@click.option("--all", "all_systems", is_flag=True, help="stage every system")
@click.option("--full", is_flag=True, help="re-stage every current raw record, not only those added since last time")
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="run the staging expectation suites afterwards (as `fase validate`)",
)
@click.pass_context
def stage(ctx: click.Context, systems: tuple[str, ...], all_systems: bool, full: bool, validate: bool) -> None:
    """Stage SYSTEMS (or --all): check raw records against their contracts, quarantine failures with
    their reasons, standardise the rest into stg_person and the event tables. Prints per stream:
    received, staged, quarantined, deleted, kept (quarantined records whose last valid version stays staged),
    released from quarantine, and whether the counts add up;
    then runs the expectation suites over staging."""
    if all_systems == bool(systems):
        raise click.UsageError("name one or more systems, or --all")
    cfg, engine = get_config(ctx), get_engine(ctx)
    db.upgrade(engine)
    failed = []
    for system in SYSTEMS if all_systems else systems:
        try:
            summary = stage_system(cfg, engine, system, full=full)
        except Exception as exc:  # report and go on with the other systems; the run table has the failure
            failed.append(system)
            click.echo(f"{system}: FAILED — {exc}", err=True)
            continue
        click.echo(f"{system}: run {summary['run_id']} ({summary['mode']})")
        click.echo(format_stage_summary(summary))
    if failed:
        raise click.ClickException(f"stage failed for: {', '.join(failed)}")
    if validate:
        run_suites(ctx)


commands = [stage]
