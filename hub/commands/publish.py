"""`fase publish`: golden records, facts, history, households, the profile and the marts from the identity layer."""

from __future__ import annotations

import click

from hub.context import get_config, get_engine, wait_option


@click.command("publish")
@click.option("--full", is_flag=True, help="recompute every beneficiary, not only those changed since the last publish")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="the date the profile is computed for (default: the latest source change in staging)",
)
@wait_option
@click.pass_context
def publish(ctx: click.Context, full: bool, today, wait: float) -> None:
    """Publish the unified beneficiary profile (warehouse/README.md): survivorship with provenance, type-2
    history, facts, households, beneficiary_profile and the monitoring marts. Prints what was rewritten."""
    from warehouse.publish import publish as run

    engine = get_engine(ctx, migrate=True)
    s = run(get_config(ctx), engine, full=full, today=today.date() if today else None, wait=wait)
    click.echo(
        f"publish run {s['run_id']} ({s['mode']}, as of {s['as_of']}): {s['beneficiaries']:,} beneficiaries, "
        f"{s['in_scope']:,} in scope, {s['seconds']} s"
    )
    h = s["history"]
    click.echo(f"  history: {h.get('new', 0)} new, {h.get('changed', 0)} changed, {h.get('closed', 0)} closed")
    for table, rows in s["rewritten"].items():
        click.echo(f"  {table:<28} {rows:>8,} rows rewritten")
    for table, d in s["derived"].items():
        click.echo(
            f"  {table:<28} {d.get('inserted', 0):>8,} inserted {d.get('updated', 0):>8,} updated "
            f"{d.get('deleted', 0):>8,} deleted"
        )


commands = [publish]
