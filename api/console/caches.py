"""What the console computes once per state of the identity layer, per process: the Explainer of `fase explain`
(it loads every staged person record for the term frequencies: seconds on a large warehouse) and the linkage
evaluation against a sandbox's ground truth. Both are rebuilt when a newer successful linkage (or staging) run
exists, so a page shows the figures `fase explain` and `fase linkage eval` would print now. The linkage engine is
imported on first use (here and in the page modules): the server, and each of its workers, starts as fast as the
read API alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.models import PipelineRun

R = PipelineRun.__table__


def state_key(engine: Engine, steps: tuple[str, ...]) -> tuple:
    """The latest successful run of each step: what a cached result was computed from."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(R.c.step, sa.func.max(R.c.run_id))
            .where(R.c.step.in_(steps), R.c.status == "success")
            .group_by(R.c.step)
        ).all()
    found = dict(rows)
    return tuple(found.get(s) for s in steps)


class Cached:
    """One value per state key, built by `build` under a lock (one build at a time, other readers wait)."""

    def __init__(self, engine: Engine, steps: tuple[str, ...], build: Callable[[], Any]):
        self.engine, self.steps, self.build = engine, steps, build
        self._key: tuple | None = None
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        key = state_key(self.engine, self.steps)
        with self._lock:
            if key != self._key:
                self._value, self._key = self.build(), key
            return self._value


def explainers(engine: Engine) -> Cached:
    """The current Explainer (the model of the last linkage run over the records staged now)."""

    def build():
        from matching.explain import Explainer  # the linkage engine loads on first use, not at server start

        return Explainer(engine)

    return Cached(engine, ("link", "stage"), build)


def evaluation(engine: Engine, truth: Callable[[], Mapping[str, int]]) -> Cached:
    """`fase linkage eval`'s scores of the current crosswalk (without its slow worst-case explanations)."""

    def build():
        from matching.crosswalk_eval import evaluate_crosswalk

        return evaluate_crosswalk(engine, truth(), explain=False)

    return Cached(engine, ("link",), build)
