"""`fase reconcile`: compare what each source holds with the raw layer, on demand (sync does it after every run)."""

from __future__ import annotations

import click

from hub.context import for_each_system, get_config, get_engine, system_choice


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def reconciliation_line(figures: dict) -> str:
    """One line of a stream's reconciliation figures: what was compared and how it came out."""
    parts = [f"source {_n(figures['source'])}", f"raw {_n(figures['raw'])}", f"missing {figures['missing']:,}"]
    if figures["extra"] is not None:
        parts.append(f"extra {figures['extra']:,}")
    parts += [f"{k} {figures[k]:,}" for k in ("pending", "quarantined") if figures[k]]
    line = f"reconciled by {figures['method']}: " + ", ".join(parts)
    if figures["first_missing"]:
        line += f" — MISSING: {', '.join(figures['first_missing'])}" + (" …" if figures["missing"] > 10 else "")
    if figures.get("note"):
        line += f" ({figures['note']})"
    return line


def format_reconciliation(summary: dict) -> str:
    return "\n".join(
        f"  {s['system'] + '.' + s['stream']:<26} {reconciliation_line(s['reconciliation'])}"
        for s in summary["streams"]
    )


@click.command("reconcile")
@click.argument("systems", nargs=-1, type=system_choice())
@click.option("--all", "all_systems", is_flag=True, help="reconcile every system")
@click.pass_context
def reconcile(ctx: click.Context, systems: tuple[str, ...], all_systems: bool) -> None:
    """Compare what SYSTEMS (or --all) hold with the raw layer and print, per stream: source and raw counts,
    records missing, extra, pending and quarantined, and the first missing ids. Exits non-zero when a
    record is missing (or a source cannot be read). SAT is read whole (ids only)."""
    from configuration import SYSTEMS
    from connectors.reconcile import ReconciliationError, reconcile_system
    from hub.source_check import check_source

    if all_systems == bool(systems):
        raise click.UsageError("name one or more systems, or --all")
    cfg, engine = get_config(ctx), get_engine(ctx, migrate=True)

    def show(system: str, summary: dict) -> None:
        click.echo(f"{system}: run {summary['run_id']}")
        click.echo(format_reconciliation(summary))

    def step(system: str) -> dict:
        check_source(cfg, system)
        try:
            return reconcile_system(cfg, engine, system)
        except ReconciliationError as exc:  # show the figures, then fail
            show(system, exc.summary)
            raise

    for_each_system(SYSTEMS if all_systems else systems, step, show, "reconciliation")


commands = [reconcile]
