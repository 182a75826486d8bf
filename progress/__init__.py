"""Progress of long work, for every layer: rich bars on a terminal, periodic plain log lines anywhere else.

A step that can take more than a few seconds wraps each piece of its work in `track` and advances it:

    from progress import track

    with track("sync sat.ospiti", unit="records") as t:
        for page in pages:
            t.advance(len(page), detail=f"{n} pages")

Who shows it is the process's reporter (`use` / `current`): by default a `TerminalReporter` (rich, on
stderr) when stderr is a terminal, else a `LogReporter`, which writes a line when a piece of work starts,
every `interval` seconds while it runs, and when it ends — through the `progress` logger (Airflow's task
log, or whatever the process configured), or straight to stderr when no logging is configured.
This package imports nothing of the project (it sits on the ground floor beside `configuration`), and
rich only when a terminal shows the bars.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("progress")

INTERVAL = 10.0
"""Seconds between two plain lines about the same piece of work (env FASE_PROGRESS_INTERVAL overrides)."""


class Task:
    """One piece of work being tracked: what it is, how far it got (`completed` of `total` `unit`), a detail."""

    def __init__(self, reporter: Reporter, label: str, total: float | None, unit: str):
        self.reporter, self.label, self.total, self.unit = reporter, label, total, unit
        self.completed: float = 0
        self.detail: str | None = None
        self.started = time.monotonic()
        self.finished: float | None = None
        self.failed = False

    def advance(self, n: float = 1, *, detail: str | None = None) -> None:
        """`n` more units done; `detail` (e.g. "12 pages") replaces the previous one."""
        self.completed += n
        if detail is not None:
            self.detail = detail
        self.reporter.update(self)

    def update(self, *, completed: float | None = None, total: float | None = None, detail: str | None = None) -> None:
        """Set how far the work got, its total once known, or its detail."""
        if completed is not None:
            self.completed = completed
        if total is not None:
            self.total = total
        if detail is not None:
            self.detail = detail
        self.reporter.update(self)

    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def describe(self) -> str:
        """`label: 1,200/5,000 records (24%), 3 pages, 12 s` — the plain line about this task."""
        if self.total:
            done = f"{_n(self.completed)}/{_n(self.total)} {self.unit}".rstrip()
            done += f" ({100 * self.completed / self.total:.0f}%)"
        elif self.completed or self.unit:
            done = f"{_n(self.completed)} {self.unit}".rstrip()
        else:
            done = ""
        parts = [p for p in (done, self.detail, f"{self.elapsed():.0f} s") if p]
        state = "failed after " if self.failed else ("done, " if self.finished is not None else "")
        return f"{self.label}: {state}{', '.join(parts)}"


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


class Reporter:
    """Shows tasks; this base shows nothing (what a process without anybody watching may use)."""

    def start(self, task: Task) -> None:
        """`task` began."""

    def update(self, task: Task) -> None:
        """`task` moved (called on every advance: keep it cheap)."""

    def finish(self, task: Task) -> None:
        """`task` ended (`task.failed` when by an exception)."""


class LogReporter(Reporter):
    """Plain lines: one when a task starts, one every `interval` seconds while it runs, one when it ends."""

    def __init__(self, interval: float | None = None, logger: logging.Logger = log):
        self.interval = interval if interval is not None else float(os.environ.get("FASE_PROGRESS_INTERVAL", INTERVAL))
        self.logger = logger
        self._active: list[Task] = []
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None  # the running ticker's stop signal, None when none runs

    def emit(self, line: str) -> None:
        if self.logger.hasHandlers():
            self.logger.info(line)
        else:  # nobody configured logging (a CLI run whose stderr is not a terminal): write the line anyway
            print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)

    def start(self, task: Task) -> None:
        self.emit(f"{task.label}: started")
        with self._lock:
            self._active.append(task)
            if self._stop is None:  # a ticker runs while any task does
                self._stop = threading.Event()
                threading.Thread(target=self._tick, args=(self._stop,), name="progress-lines", daemon=True).start()

    def finish(self, task: Task) -> None:
        with self._lock:
            if task in self._active:
                self._active.remove(task)
            if not self._active and self._stop is not None:
                self._stop.set()
                self._stop = None
        self.emit(task.describe())

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            with self._lock:
                active = list(self._active)
            for task in active:
                self.emit(task.describe())


_reporter: Reporter | None = None


def default_reporter() -> Reporter:
    """A `TerminalReporter` when stderr is an interactive terminal, else a `LogReporter`."""
    stream = sys.stderr
    if stream is not None and stream.isatty() and os.environ.get("TERM") != "dumb":
        from progress.terminal import TerminalReporter

        return TerminalReporter()
    return LogReporter()


def current() -> Reporter:
    """The process's reporter (chosen by `default_reporter` at first use unless `use` set one)."""
    global _reporter
    if _reporter is None:
        _reporter = default_reporter()
    return _reporter


@contextmanager
def use(reporter: Reporter) -> Iterator[Reporter]:
    """Show progress with `reporter` inside the block (then the previous one again)."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        _reporter = previous


@contextmanager
def track(label: str, total: float | None = None, unit: str = "") -> Iterator[Task]:
    """Track one piece of work for the block's duration: `label` says what (e.g. "stage anagrafe.residenti"),
    `total` how many `unit` there are when known."""
    reporter = current()
    task = Task(reporter, label, total, unit)
    reporter.start(task)
    try:
        yield task
    except BaseException:
        task.failed = True
        raise
    finally:
        task.finished = time.monotonic()
        reporter.finish(task)
