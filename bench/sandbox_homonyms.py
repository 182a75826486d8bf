"""Report: homonyms of the sandbox population at several sizes, next to what the name shapes predict.

    .venv/bin/python bench/sandbox_homonyms.py                      # 5k, 50k and 500k people
    .venv/bin/python bench/sandbox_homonyms.py --people 5000 50000 --seed 3

Generates the true population only (sandbox/population.py, no source systems) and prints, per size:
the share of people who share (surname, first name) with someone else, with someone born the same
year, with someone born the same day; the number of (name, birth year) groups of >= 2 and >= 5 people;
the commonest full names and (name, year) groups; and, per origin, the mean number of namesakes of a
person within their own origin and sex (and, for Italians, their birth cohort) measured against the
prediction of the pools' shapes: (n - 1) * sum(p_surname^2) * sum(q_first_name^2), times
sum(P(year)^2) or sum(P(date)^2) for the same year or day (those two from the generated birth dates,
unbiased). Measured above predicted comes from families: a son named after his father, siblings with
their father's surname, the explicit omocodia twins.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from random import Random

from sandbox import name_pools, name_shapes
from sandbox.clock import START_DATE
from sandbox.population import ITALY, CfRegistry, Household, PopulationGenerator
from sandbox.world import COUNTER_START


@dataclass(frozen=True, slots=True)
class Row:
    """What the report needs of one true person: the pool group their names were drawn from, and them."""

    group: tuple[str, str, int]  # (origin, sex, Italian cohort or -1)
    name: tuple[str, str]  # (surname, first name)
    birth: date


def population(size: int, seed: int) -> list[Row]:
    """`size` true people (the last household cut to fit), as rows."""
    gen = PopulationGenerator(Random(f"{seed}:population"), START_DATE, dict(COUNTER_START), CfRegistry())
    rows: list[Row] = []
    while len(rows) < size:
        rows.extend(_rows(gen.household()))
    return rows[:size]


def _rows(h: Household) -> Iterable[Row]:
    for p in h.members:
        # the pool a name came from: the country of birth of the foreign-born; an Italian-born spouse of a
        # foreign household is of Italian origin; anyone else born in Italy has the household's origin
        if p.birth_country != ITALY:
            origin = p.birth_country
        elif p.relation in ("CG", "CV"):
            origin = ITALY
        else:
            origin = h.origin
        cohort = name_shapes.cohort(p.birth_date.year) if origin == ITALY else -1
        yield Row((origin, p.sex, cohort), (p.surname, p.first_name), p.birth_date)


def _sharing(keys: Sequence[object]) -> tuple[float, Counter]:
    """Share of keys that occur more than once, and the counts."""
    counts = Counter(keys)
    return sum(c for c in counts.values() if c > 1) / len(keys), counts


def _pairs_per_person(counts: Iterable[int], n: int) -> float:
    """Mean number of others sharing one's key: sum c (c - 1) / n."""
    return sum(c * (c - 1) for c in counts) / n if n else 0.0


def _self_collision(values: Sequence[object]) -> float:
    """Unbiased estimate of sum P(v)^2 from a sample."""
    n = len(values)
    return sum(c * (c - 1) for c in Counter(values).values()) / (n * (n - 1)) if n > 1 else 0.0


def _collisions(group: tuple[str, str, int]) -> tuple[float, float]:
    origin, sex, cohort = group
    year = name_shapes.ITALIAN_COHORTS[cohort][0] - 1 if cohort >= 0 else 1980
    return name_pools.surname_pool(origin, sex).collision(), name_pools.first_name_pool(origin, sex, year).collision()


def by_origin(rows: list[Row]) -> list[str]:
    """Per origin: people, measured vs predicted namesakes per person (name; + year; + date) within groups."""
    groups: dict[tuple[str, str, int], list[Row]] = defaultdict(list)
    for r in rows:
        groups[r.group].append(r)
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0] * 7)
    for group, members in groups.items():
        n = len(members)
        cs, cf = _collisions(group)
        name = cs * cf * (n - 1)
        year = name * _self_collision([r.birth.year for r in members])
        day = name * _self_collision([r.birth for r in members])
        measured = [
            _pairs_per_person(Counter(r.name for r in members).values(), 1),
            _pairs_per_person(Counter((r.name, r.birth.year) for r in members).values(), 1),
            _pairs_per_person(Counter((r.name, r.birth) for r in members).values(), 1),
        ]
        a = acc[group[0]]
        a[0] += n
        for i, (m, p) in enumerate(zip(measured, (name * n, year * n, day * n), strict=True)):
            a[1 + 2 * i] += m
            a[2 + 2 * i] += p
    lines = [
        "  namesakes per person within their origin, sex (and Italian cohort), measured / predicted by the shapes:",
        f"  {'origin':<7}{'people':>8}   {'same name':<19} {'+ same year':<19} {'+ same day':<19}",
    ]
    order = sorted(acc, key=lambda o: -acc[o][0])
    for origin in [*order, "all"]:
        a = [sum(acc[o][i] for o in order) for i in range(7)] if origin == "all" else acc[origin]
        n = a[0]
        cells = " ".join(f"{a[1 + 2 * i] / n:>9.5f} / {a[2 + 2 * i] / n:<7.5f}" for i in range(3))
        lines.append(f"  {origin:<7}{int(n):>8,}   {cells}")
    return lines


def report(rows: list[Row], top: int) -> list[str]:
    n = len(rows)
    by_name, names = _sharing([r.name for r in rows])
    by_year, name_years = _sharing([(r.name, r.birth.year) for r in rows])
    by_day, _ = _sharing([(r.name, r.birth) for r in rows])
    jan1 = sum((r.birth.month, r.birth.day) == (1, 1) for r in rows) / n
    groups2 = sum(c >= 2 for c in name_years.values())
    groups5 = sum(c >= 5 for c in name_years.values())
    lines = [
        f"people {n:,}: {len(names):,} distinct full names; share sharing theirs with someone {by_name:.4f}, "
        f"born the same year {by_year:.4f}, the same day {by_day:.4f}",
        f"  (name, year) groups of >= 2 people: {groups2:,}; of >= 5: {groups5:,}; "
        f"true birth date 1 January: {jan1:.4f}",
        "  commonest full names: " + ", ".join(f"{f} {s} {c}" for (s, f), c in names.most_common(top)),
        "  commonest (name, year): " + ", ".join(f"{f} {s} {y} {c}" for ((s, f), y), c in name_years.most_common(top)),
    ]
    for surname, first in (("ROSSI", "MARIA"), ("ALI", "MOHAMED")):
        years = Counter(r.birth.year for r in rows if r.name[0] == surname and r.name[1].split()[0] == first)
        same = sum(c for c in years.values() if c > 1)
        lines.append(
            f"  {first}* {surname} (second names included): {sum(years.values())} people, "
            f"{same} of them born the same year as another, in {sum(c > 1 for c in years.values())} years"
        )
    return lines + by_origin(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, nargs="+", default=[5_000, 50_000, 500_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=8, help="how many of the commonest names to list")
    args = ap.parse_args()
    print(name_pools_summary())
    for size in args.people:
        wall, cpu = time.perf_counter(), time.process_time()
        rows = population(size, args.seed)
        print("\n".join(report(rows, args.top)))
        print(f"  ({time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU)\n")
    return 0


def name_pools_summary() -> str:
    return "name pools (share of the commonest, collision = sum of squared shares):\n  " + "\n  ".join(
        name_pools.report()
    )


if __name__ == "__main__":
    sys.exit(main())
