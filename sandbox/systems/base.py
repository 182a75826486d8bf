"""What every simulated system shares: id counters, its clerk, the truth link, and the day context of ``advance``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from random import Random

import sqlalchemy as sa

from sandbox import clock
from sandbox.messiness import Clerk
from sandbox.popstore import PopulationStore
from sandbox.population import Household, Person
from sandbox.truth import TruthWriter


@dataclass
class Day:
    """One simulated day for ``System.advance``: its time range, the population and today's new households."""

    day: date
    rng: Random
    population: PopulationStore
    new_households: list[Household]
    new_phone: Callable[[Person], str]  # gives a person a new true phone and returns it
    _calls: int = field(default=0, repr=False)

    @property
    def bounds(self) -> tuple[float, float]:
        return clock.day_bounds(self.day)

    def ts(self) -> float:
        """A random moment of the day. On the day DST ends, one in four falls in the repeated hour, and the
        first two calls fall in its first (CEST) and its second (CET) occurrence."""
        start, end = self.bounds
        repeated = clock.repeated_hour(self.day)
        self._calls += 1
        if repeated and self._calls <= 2:
            first = repeated[0] + (self._calls - 1) * 3600
            return clock.random_ts(self.rng, first, first + 3600)
        if repeated and self.rng.random() < 0.25:
            return clock.random_ts(self.rng, *repeated)
        return clock.random_ts(self.rng, start, end)

    def count(self, population: int, rate: float) -> int:
        """How many of ``population`` records an event of daily ``rate`` touches today (at least one)."""
        return min(population, max(1, round(population * rate)))


def make_engine(url: str) -> sa.Engine:
    """Engine of a system database; SQLite files get WAL and no fsync (a simulator, not a bank)."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=OFF")

    return engine


class System:
    """Base of the five simulated systems."""

    key: str = ""

    def __init__(self, rng: Random, counters: dict[str, int], truth: TruthWriter):
        self.rng = rng
        self.counters = counters
        self.truth = truth
        self.clerk = Clerk(self.key, rng)

    def next_id(self, name: str) -> int:
        self.counters[name] += 1
        return self.counters[name]

    def add_household(self, h: Household, start: float, end: float) -> None:
        """Decide which members the system knows and write their records, timestamped in [start, end)."""
        raise NotImplementedError

    def advance(self, day: Day) -> dict[str, int]:
        """Apply one day of changes; returns counts of changes by kind."""
        raise NotImplementedError

    def flush(self) -> None:
        """Write buffered records."""

    def counts(self) -> dict[str, int]:
        """Records currently stored, by table/collection."""
        raise NotImplementedError

    def close(self) -> None:
        self.flush()
