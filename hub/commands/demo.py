"""`fase demo`: the whole hub end to end on the embedded default (sandbox world, simulators, Airflow DAGs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click


@contextmanager
def _output_to(path: Path) -> Iterator[TextIO]:
    """Send everything written to fds 1 and 2 (Airflow's task logs included) to `path`; yield the real stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    console = os.fdopen(os.dup(saved[0]), "w", buffering=1)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            console.close()


@click.command("demo")
@click.option("--size", default=2000, show_default=True, help="people in the generated sandbox world")
@click.option("--seed", default=42, show_default=True)
@click.option("--fresh", is_flag=True, help="start over: delete var/sandbox, var/warehouse.db and var/airflow")
def demo(size: int, seed: int, fresh: bool) -> None:
    """Generate a sandbox world under var/sandbox, start its simulators, run every sync DAG, then linkage,
    publishing and quality through Airflow (in-process `dag.test()`); advance the world one day and run
    the syncs and linkage again, incrementally. Prints what each run did and where to look next."""
    from hub.demo import VAR, DemoError, format_report, run_demo

    log = VAR / "demo.log"
    try:
        with _output_to(log) as console:
            report = run_demo(size, seed, fresh, progress=lambda line: print(line, file=console))
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(report))
    click.echo(f"Airflow's own log of these runs: {log}")


commands = [demo]
