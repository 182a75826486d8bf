"""Progress on long work: plain lines off a terminal (Airflow logs, pipes), rich bars on one, and every long step
of the pipeline — sandbox generation, sync and stage per stream, the link phases, publish — reporting it."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

import progress
from configuration import SYSTEMS
from connectors.registry import sync_system
from matching.pipeline import link
from progress.terminal import TerminalReporter
from sandbox import services, world
from schemas.stage import stage_system
from tests.helpers import make_config
from tests.servers import postgres_database
from warehouse import db
from warehouse.profile.publish import PHASES
from warehouse.publish import publish

ROOT = Path(__file__).resolve().parents[1]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines():
    logger = logging.getLogger("tests.progress")
    handler = Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, handler.lines
    logger.removeHandler(handler)


def test_plain_lines_when_a_task_starts_every_interval_and_when_it_ends(lines):
    logger, seen = lines
    with (
        progress.use(progress.LogReporter(interval=0.05, logger=logger)),
        progress.track("sync sat.ospiti", total=10, unit="records") as task,
    ):
        task.advance(4, detail="2 pages")
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert seen[0] == "sync sat.ospiti: started"
    assert seen[1].startswith("sync sat.ospiti: 4/10 records (40%), 2 pages, "), seen
    assert seen[-1].startswith("sync sat.ospiti: done, 4/10 records (40%), 2 pages, "), seen


def test_a_failed_task_says_so_and_the_error_goes_on(lines):
    logger, seen = lines
    with (
        progress.use(progress.LogReporter(interval=60, logger=logger)),
        pytest.raises(RuntimeError, match="no pairs"),
        progress.track("link: plan (blocking, model)"),
    ):
        raise RuntimeError("no pairs")
    assert seen[-1].startswith("link: plan (blocking, model): failed after "), seen


def test_plain_lines_reach_stderr_when_nobody_configured_logging():
    """A CLI run whose stderr is not a terminal (cron, a pipe, a CI log) still sees the lines."""
    code = (
        "import progress\n"
        "with progress.track('stage anagrafe.residenti', total=3, unit='records') as t:\n"
        "    t.advance(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "stage anagrafe.residenti: started" in done.stderr
    assert "stage anagrafe.residenti: done, 3/3 records (100%)" in done.stderr
    assert done.stdout == ""


def test_a_terminal_gets_rich_bars_on_stderr():
    screen = io.StringIO()
    reporter = TerminalReporter(Console(file=screen, force_terminal=True, width=120, color_system=None))
    with progress.use(reporter):
        with progress.track("sync sat.ospiti", unit="records") as task:
            for page in range(1, 6):
                task.advance(500, detail=f"{page} pages")
        with progress.track("publish", total=4, unit="phases") as task:
            task.advance(4)
    out = screen.getvalue()
    assert "sync sat.ospiti" in out and "2,500 records · 5 pages" in out, out
    assert "4/4 phases" in out and "✓" in out, out


def test_the_default_reporter_follows_the_terminal(monkeypatch):
    class Stream(io.StringIO):
        def __init__(self, tty: bool):
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr(sys, "stderr", Stream(True))
    assert isinstance(progress.default_reporter(), TerminalReporter)
    monkeypatch.setattr(sys, "stderr", Stream(False))
    assert type(progress.default_reporter()) is progress.LogReporter


class Recorder(progress.Reporter):
    """What the pipeline reported: every task with its label, how far it got, and whether it ended."""

    def __init__(self) -> None:
        self.tasks: list[progress.Task] = []

    def start(self, task: progress.Task) -> None:
        self.tasks.append(task)

    def by_label(self) -> dict[str, progress.Task]:
        return {t.label: t for t in self.tasks}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_warehouse(request, tmp_path):
    """A warehouse of this test's own: its first syncs must find no bookmark that another test left (the session's
    PostgreSQL database is shared)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        yield from postgres_database("fase_progress")


def test_every_long_step_of_the_pipeline_reports_progress(fresh_warehouse, tmp_path):
    warehouse_url = fresh_warehouse
    recorder = Recorder()
    folder = tmp_path / "sandbox"
    with progress.use(recorder):
        world.generate(folder, 120, seed=11)
        with services.running(folder) as urls:
            cfg = make_config(
                tmp_path,
                warehouse_url=warehouse_url,
                sat_url=urls["sat"],
                polis_url=urls["polis"],
                anagrafe_folder=folder / "anagrafe",
                volontariato_url=f"sqlite:///{folder / 'volontariato.db'}",
                contabilita_url=f"sqlite:///{folder / 'contabilita.db'}",
            )
            engine = db.make_engine(warehouse_url)
            db.upgrade(engine)
            for system in SYSTEMS:
                sync_system(cfg, engine, system)
                stage_system(cfg, engine, system)
        link(engine)
        publish(cfg, engine)
    tasks = recorder.by_label()
    assert all(t.finished is not None and not t.failed for t in recorder.tasks), [t.describe() for t in tasks.values()]

    generated = tasks["generate sandbox world"]
    assert (generated.completed, generated.total, generated.unit) == (120, 120, "people")
    persons = world.status(folder)["person_records"]
    for system, stream in (("sat", "ospiti"), ("anagrafe", "residenti"), ("polis", "participants")):
        synced, staged = tasks[f"sync {system}.{stream}"], tasks[f"stage {system}.{stream}"]
        # records received (POLIS's shifting pages may send one twice), and the pages read
        assert synced.completed >= persons[system] > 0 and "page" in (synced.detail or ""), synced.describe()
        assert staged.completed == staged.total == persons[system], staged.describe()
    for phase in ("link: plan (blocking, model)", "link: score partitions", "link: finalise (clusters, stable ids)"):
        assert phase in tasks, sorted(tasks)
    assert tasks["link: score partitions"].completed == tasks["link: score partitions"].total == 1
    published = tasks["publish"]
    assert (published.completed, published.total, published.detail) == (len(PHASES), len(PHASES), "analyst")
