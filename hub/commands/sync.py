"""`fase sync`: pull source systems into the raw layer (incremental, full refresh or backfill)."""

from __future__ import annotations

from datetime import UTC

import click

from hub.commands.reconcile import reconciliation_line
from hub.context import for_each_system, get_config, get_engine, system_choice, wait_option

COLUMNS = (
    "stream",
    "pages",
    "received",
    "new",
    "changed",
    "unchanged",
    "deleted",
    "quarantined",
    "retries",
    "seconds",
)


def format_sync_summary(summary: dict) -> str:
    """Per stream: the sync's figures, its notes, and its reconciliation."""
    lines = ["  " + " ".join(f"{c:>11}" if c != "stream" else f"{c:<26}" for c in COLUMNS)]
    for s in summary["streams"]:
        cells = [f"{s['system'] + '.' + s['stream']:<26}"] + [f"{s[c]:>11}" for c in COLUMNS[1:]]
        lines.append("  " + " ".join(cells))
        lines += [f"    note: {n}" for n in s["notes"]]
        if s.get("reconciliation"):
            lines.append(f"    {reconciliation_line(s['reconciliation'])}")
    return "\n".join(lines)


@click.command("sync")
@click.argument("systems", nargs=-1, type=system_choice())
@click.option("--all", "all_systems", is_flag=True, help="sync every system")
@click.option("--full-refresh", is_flag=True, help="ignore the stored state and read everything again")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="backfill from this date (UTC) without losing the stored state",
)
@wait_option
@click.pass_context
def sync(
    ctx: click.Context, systems: tuple[str, ...], all_systems: bool, full_refresh: bool, since, wait: float
) -> None:
    """Sync SYSTEMS (or --all) into the raw layer and print, per stream: pages, records
    new/changed/unchanged/deleted, quarantined, retries and duration, then the reconciliation of the
    source with the raw layer (a record missing from the raw layer fails the sync)."""
    from configuration import SYSTEMS
    from connectors.base import SyncRequest
    from connectors.reconcile import ReconciliationError
    from connectors.registry import sync_system
    from hub.source_check import check_source

    if all_systems == bool(systems):
        raise click.UsageError("name one or more systems, or --all")
    if full_refresh and since:
        raise click.UsageError("--full-refresh and --since exclude each other")
    request = (
        SyncRequest("full_refresh")
        if full_refresh
        else (SyncRequest("backfill", since.replace(tzinfo=UTC)) if since else SyncRequest())
    )
    cfg, engine = get_config(ctx), get_engine(ctx, migrate=True)

    def show(system: str, summary: dict) -> None:
        click.echo(f"{system}: run {summary['run_id']} ({request.mode})")
        click.echo(format_sync_summary(summary))

    def step(system: str) -> dict:
        check_source(cfg, system)
        try:
            return sync_system(cfg, engine, system, request, wait=wait)
        except ReconciliationError as exc:  # synced, but the raw layer lacks records: show the figures, fail
            show(system, exc.summary)
            raise

    for_each_system(SYSTEMS if all_systems else systems, step, show, "sync")


commands = [sync]
