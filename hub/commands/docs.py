"""`fase docs readme-tables`: the README's analyst query results, generated from the demo world."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

OUT_OF_DATE = 1


@click.group("docs")
def docs() -> None:
    """Documentation generated from the project's own data."""


@docs.command("readme-tables")
@click.option(
    "--warehouse",
    "url",
    default="sqlite:///var/warehouse.db",
    show_default=True,
    help="the warehouse to query (default: the one `make demo` leaves)",
)
@click.option("--readme", type=click.Path(dir_okay=False, path_type=Path), default=Path("README.md"), show_default=True)
@click.option("--check", is_flag=True, help="change nothing: exit 1 and show the difference if the README is stale")
def readme_tables(url: str, readme: Path, check: bool) -> None:
    """Run the README's analyst queries on the demo warehouse and write their results into the README."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise click.ClickException(f"no warehouse at {url}: run `make demo` first (or pass --warehouse)")
    from hub.readme_tables import ReadmeError, render, replace
    from warehouse.db import make_engine

    engine = make_engine(url)
    try:
        text = readme.read_text()
        updated = replace(text, render(engine))
    except ReadmeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    if updated == text:
        click.echo(f"{readme}: analyst tables up to date")
        return
    if check:
        diff = difflib.unified_diff(text.splitlines(), updated.splitlines(), str(readme), "from the demo", lineterm="")
        click.echo("\n".join(diff))
        click.echo(f"{readme}: analyst tables differ from the demo world: run `fase docs readme-tables`", err=True)
        sys.exit(OUT_OF_DATE)
    readme.write_text(updated)
    click.echo(f"{readme}: analyst tables written")


commands = [docs]
