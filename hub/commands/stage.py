"""`fase stage`: validate raw records against their contracts, quarantine failures, standardise into staging."""

from __future__ import annotations

import click

from hub.commands.quality import run_suites
from hub.context import for_each_system, get_config, get_engine, system_choice, wait_option

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
@click.argument("systems", nargs=-1, type=system_choice())
@click.option("--all", "all_systems", is_flag=True, help="stage every system")
@click.option("--full", is_flag=True, help="re-stage every current raw record, not only those added since last time")
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="run the staging expectation suites afterwards (as `fase validate`)",
)
@wait_option
@click.pass_context
def stage(
    ctx: click.Context, systems: tuple[str, ...], all_systems: bool, full: bool, validate: bool, wait: float
) -> None:
    """Stage SYSTEMS (or --all): check raw records against their contracts, quarantine failures with
    their reasons, standardise the rest into stg_person and the event tables. Prints per stream:
    received, staged, quarantined, deleted, kept (quarantined records whose last valid version stays staged),
    released from quarantine, and whether the counts add up;
    then runs the expectation suites over staging."""
    from configuration import SYSTEMS
    from schemas.stage import stage_system

    if all_systems == bool(systems):
        raise click.UsageError("name one or more systems, or --all")
    cfg, engine = get_config(ctx), get_engine(ctx, migrate=True)

    def show(system: str, summary: dict) -> None:
        click.echo(f"{system}: run {summary['run_id']} ({summary['mode']})")
        click.echo(format_stage_summary(summary))

    for_each_system(
        SYSTEMS if all_systems else systems,
        lambda system: stage_system(cfg, engine, system, full=full, wait=wait),
        show,
        "stage",
    )
    if validate:
        run_suites(ctx)


commands = [stage]
