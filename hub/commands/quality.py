"""`fase validate` (Great Expectations suites over staging) and `fase quarantine list`."""

from __future__ import annotations

import click

from hub.context import get_config, get_engine, system_choice


def run_suites(ctx: click.Context) -> None:
    """Run the staging suites and print, per suite, the expectations passed and failed, and the Data Docs path."""
    from schemas.quality.runner import validate_staging  # GE is slow to import: only when asked

    cfg, engine = get_config(ctx), get_engine(ctx, migrate=True)
    summary = validate_staging(cfg, engine)
    click.echo(f"quality run {summary['run_id']}")
    for suite, s in summary["suites"].items():
        rows = f"{s['validated']} of {s['rows']} rows" if s["validated"] < s["rows"] else f"{s['rows']} rows"
        click.echo(f"  {suite:<24} {s['passed']:>3}/{s['expectations']:<3} expectations passed ({rows})")
        for failed in s["failed"]:
            click.echo(f"      FAILED {failed}")
    click.echo(f"Data Docs: {summary['data_docs']}")
    if not summary["success"]:
        raise click.ClickException("some expectations failed (see above and the Data Docs)")


@click.command("validate")
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Run the expectation suites over the staging tables; store results in quality_result, build Data Docs."""
    run_suites(ctx)


@click.group("quarantine")
def quarantine_group() -> None:
    """Inspect records that failed their contract, and source files and rows a connector refused."""


def _what(entry: dict) -> str:
    """What an entry holds: a raw record version, a whole file, or one row of a file."""
    where = f"{entry['file_name']}" + (f" line {entry['line']}" if entry["line"] else "")
    if entry["kind"] == "file":
        return f"file {where} (sha256 {entry['sha256']})"
    if entry["kind"] == "row":
        return f"{entry['source_id']} (row of {where})"
    return f"{entry['source_id']} (raw {entry['raw_id']})"


@quarantine_group.command("list")
@click.option("--system", type=system_choice(), help="only this system")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def list_entries(ctx: click.Context, system: str | None, limit: int) -> None:
    """Open quarantine entries, newest first: system.stream, the record (or file, or row), and why."""
    from schemas import quarantine

    engine = get_engine(ctx)
    with engine.connect() as conn:
        entries = quarantine.open_entries(conn, system, limit)
    if not entries:
        click.echo("quarantine is empty")
    for e in entries:
        click.echo(f"{e['system']}.{e['stream']} {_what(e)} (run {e['run_id']}, {e['quarantined_at']:%Y-%m-%d %H:%M}Z)")
        for rule in e["rules"]:
            click.echo(f"    - {rule}")


commands = [validate, quarantine_group]
