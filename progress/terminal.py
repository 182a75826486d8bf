"""The terminal face of `progress`: one rich bar (or spinner, when the total is unknown) per running task, on stderr.

The live display runs only while tasks do: it starts with the first and stops with the last, leaving each
finished task's final line on the screen, so what a command prints between its steps is never drawn over.
"""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Task as RichTask
from rich.text import Text

from progress import Reporter, Task, _n


class _Count(TextColumn):
    """`1,200/5,000 records · 3 pages` (or `1,200 records` without a total)."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: RichTask) -> Text:
        ours: Task = task.fields["task"]
        count = f"{_n(ours.completed)}/{_n(ours.total)}" if ours.total else (_n(ours.completed) if ours.unit else "")
        text = " ".join(p for p in (count, ours.unit) if p)
        if ours.detail:
            text = f"{text} · {ours.detail}" if text else ours.detail
        if ours.failed:
            text = f"{text} FAILED" if text else "FAILED"
        return Text(text, style="red" if ours.failed else "progress.download")


class TerminalReporter(Reporter):
    """Rich progress bars on stderr (stdout stays clean for what commands print or pipe)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._ids: dict[int, TaskID] = {}
        self._lock = threading.Lock()

    def _display(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                _Count(),
                TimeElapsedColumn(),
                console=self.console,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
        return self._progress

    def start(self, task: Task) -> None:
        with self._lock:
            self._ids[id(task)] = self._display().add_task(task.label, total=task.total, task=task)

    def update(self, task: Task) -> None:
        if self._progress is not None and id(task) in self._ids:
            self._progress.update(self._ids[id(task)], completed=task.completed, total=task.total)

    def finish(self, task: Task) -> None:
        with self._lock:
            progress = self._progress
            rich_id = self._ids.pop(id(task), None)
            if progress is None or rich_id is None:
                return
            if not task.failed:  # a task done shows a full bar and a tick (an unknown total becomes what was done)
                total = task.total or max(task.completed, 1)
                progress.update(rich_id, total=total, completed=total)
            progress.stop_task(rich_id)
            if not self._ids:
                progress.stop()
                self._progress = None
