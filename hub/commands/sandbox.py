"""`fase sandbox`: generate the simulated world, run its simulators, move its time forward."""

from __future__ import annotations

from pathlib import Path

import click

FOLDER = click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/sandbox"),
    show_default=True,
    help="the world folder",
)


def _print_status(summary: dict) -> None:
    click.echo(
        f"sandbox day {summary['today']} (seed {summary['seed']}): {summary['persons']} people in "
        f"{summary['households']} households, {summary['total_records']} source records"
    )
    for system, tables in summary["records"].items():
        cells = ", ".join(f"{table} {count}" for table, count in tables.items())
        click.echo(f"  {system:<13} {cells}")


@click.group("sandbox")
def sandbox_group() -> None:
    """The simulated five systems: a seeded population with ground truth, served like the real ones."""


@sandbox_group.command("up")
@FOLDER
@click.option("--size", default=2000, show_default=True, help="number of true people")
@click.option("--seed", default=42, show_default=True)
@click.option("--fresh", is_flag=True, help="delete an existing world first")
@click.option("--fault-rate", default=0.0, show_default=True, help="share of HTTP requests that fail (429/5xx/reset)")
@click.option("--volontariato-url", help="SQLAlchemy URL for volontariato (default: a SQLite file in the folder)")
@click.option("--contabilita-url", help="SQLAlchemy URL for contabilita (default: a SQLite file in the folder)")
@click.option(
    "--hub-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to write the matching hub configuration  [default: FOLDER/hub.yaml]",
)
@click.option(
    "--warehouse-url",
    default="sqlite:///var/warehouse.db",
    show_default=True,
    help="the warehouse the hub configuration names (a relative SQLite path is made absolute)",
)
def up(
    folder: Path,
    size: int,
    seed: int,
    fresh: bool,
    fault_rate: float,
    volontariato_url: str | None,
    contabilita_url: str | None,
    hub_config: Path | None,
    warehouse_url: str,
) -> None:
    """Generate a world (unless one exists), start the SAT and POLIS simulators in the background,
    and write a hub configuration that points at them (with absolute paths: it works from any directory)."""
    import shutil

    from sandbox import services, world

    folder = folder.resolve()
    hub_config = (hub_config or folder / "hub.yaml").resolve()
    if fresh and folder.exists():
        services.stop_background(folder)
        shutil.rmtree(folder)
    if not (folder / "world.json").exists():
        sql = [services.absolute_sqlite_url(u) if u else None for u in (volontariato_url, contabilita_url)]
        summary = world.generate(folder, size, seed, *sql)
        click.echo(f"generated {folder}: {summary['total_records']} source records")
    urls = services.start_background(folder, fault_rate)
    state = world.load_world(folder)
    services.write_hub_config(
        folder,
        urls,
        hub_config,
        warehouse_url,
        world.database_url(folder, state, "volontariato"),
        world.database_url(folder, state, "contabilita"),
    )
    click.echo(f"sat      listening at {urls['sat']}/api/v1/  (bearer token: FASE_SAT_TOKEN in {folder}/secrets.env)")
    click.echo(f"polis    listening at {urls['polis']}/polis/api/v2/  (X-API-Key: FASE_POLIS_API_KEY)")
    click.echo(f"anagrafe drop folder {folder / 'anagrafe'}")
    click.echo(f"volontariato database {world.database_url(folder, state, 'volontariato')}")
    click.echo(f"contabilita database {world.database_url(folder, state, 'contabilita')}")
    click.echo(f"hub configuration written to {hub_config} (use: fase --config {hub_config} ...)")
    _print_status(world.status(folder))


@sandbox_group.command("down")
@FOLDER
def down(folder: Path) -> None:
    """Stop the background simulators started by `fase sandbox up`."""
    from sandbox import services

    stopped = services.stop_background(folder)
    click.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@sandbox_group.command("advance")
@FOLDER
@click.option("--days", default=1, show_default=True)
@click.option("--incomplete-anagrafe", is_flag=True, help="leave the last night's anagrafe file half written")
def advance(folder: Path, days: int, incomplete_anagrafe: bool) -> None:
    """Produce the next day(s): new people, updates, tombstones, purges, moves, hard deletes, status changes."""
    from sandbox import world

    report = world.advance(folder, days, incomplete_anagrafe)
    for day in report["days"]:
        click.echo(f"{day['day']}: {day['new_households']} new households")
        for system, changes in day["changes"].items():
            click.echo(f"  {system:<13} " + ", ".join(f"{k} {v}" for k, v in changes.items()))
    _print_status(report)


@sandbox_group.command("complete-anagrafe")
@FOLDER
def complete_anagrafe(folder: Path) -> None:
    """Finish anagrafe files left half written by `advance --incomplete-anagrafe`."""
    from sandbox import world

    names = world.complete_anagrafe(folder)
    click.echo(f"completed: {', '.join(names) or 'nothing pending'}")


@sandbox_group.command("status")
@FOLDER
def status(folder: Path) -> None:
    """What each simulated system holds now, and whether the simulators run."""
    from sandbox import services, world

    _print_status(world.status(folder))
    urls = services.background_urls(folder)
    click.echo("simulators: " + (", ".join(f"{s} {u}" for s, u in urls.items()) or "not running"))


commands = [sandbox_group]
