"""Weighted name pools of the synthetic population: how often each first name and surname occurs.

A city's names are not a short list drawn uniformly: a few names are borne by many (ROSSI, MOHAMED,
HU, AKTER), most by very few. Each pool is a ranked list of names with a share each, built to the
shapes of sandbox/name_shapes.py (public figures, documented there): the hand-written names of
sandbox/names.py (particles, accents, compound forms, known transliterations) at the head, then the
long tail of sandbox/name_tails.py. The pools are fixed (the tails have their own seed), so a world
depends only on its seed. Because the pools are finite and heavy-headed, the share of people
who share a name with someone grows with the population, as in a real city.

``python -m sandbox.name_pools`` prints each pool's head share and collision probability (the chance
that two people of the origin and sex share the name: the sum of squared shares);
``bench/sandbox_homonyms.py`` compares them with the homonyms of generated populations.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from random import Random

from sandbox import name_shapes, name_tails, names


@dataclass(frozen=True)
class Pool:
    """Names in rank order with cumulative shares (the last is 1); `draw` picks one by share."""

    names: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: Random) -> str:
        return self.names[bisect.bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])]

    def shares(self) -> list[float]:
        """Share of each name, in rank order."""
        total = self.cum_weights[-1]
        return [(c - p) / total for c, p in zip(self.cum_weights, (0.0, *self.cum_weights[:-1]), strict=True)]

    def share(self, name: str) -> float:
        return self.shares()[self.names.index(name)]

    def collision(self) -> float:
        """Probability that two independent draws give the same name (sum of squared shares)."""
        return sum(x * x for x in self.shares())


def _pool(weighted: Iterable[tuple[str, float]]) -> Pool:
    """A pool of (name, weight) pairs in rank order; a repeated name keeps its first rank and weight."""
    seen: dict[str, float] = {}
    for name, w in weighted:
        seen.setdefault(name, w)
    total = sum(seen.values())
    return Pool(tuple(seen), tuple(itertools.accumulate(w / total for w in seen.values())))


def _unique(items: Iterable[str], skip: Iterable[str] = ()) -> list[str]:
    """Items in order without repeats and without those in `skip`."""
    seen = set(skip)
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def power_law(n: int, exponent: float, knee: int | None = None, beyond: float | None = None) -> list[float]:
    """Weights of ranks 1..n: rank ** -exponent, and past `knee` rank ** -beyond (continuous at the knee)."""
    if knee is None or beyond is None:
        return [(r + 1) ** -exponent for r in range(n)]
    scale = knee ** (beyond - exponent)
    return [(r + 1) ** -exponent if r < knee else scale * (r + 1) ** -beyond for r in range(n)]


def ranked_pool(ranked: Iterable[str], shape: tuple[int, float, int, float]) -> Pool:
    """The first `size` distinct names of `ranked`, weighted by the broken power law `shape`."""
    size, exponent, knee, beyond = shape
    chosen = list(itertools.islice(_unique(ranked), size))
    return _pool(zip(chosen, power_law(len(chosen), exponent, knee, beyond), strict=True))


def headed_pool(head: tuple[tuple[str, float], ...], rest: Iterable[str] | Pool, exponent: float) -> Pool:
    """Named `head` shares, then `rest` sharing what is left: a Zipf tail over a list, or a pool's shares."""
    left = 1.0 - sum(w for _, w in head)
    if left <= 0:
        raise ValueError(f"head shares add up to {1 - left:.3f}, nothing left for the tail")
    taken = {n for n, _ in head}
    if isinstance(rest, Pool):
        tail = [(n, w) for n, w in zip(rest.names, rest.shares(), strict=True) if n not in taken]
    else:
        ranked = _unique(rest, taken)
        tail = list(zip(ranked, power_law(len(ranked), exponent), strict=True))
    if not tail:
        raise ValueError("a headed pool needs tail names")
    total = sum(w for _, w in tail)
    return _pool(itertools.chain(head, ((n, w * left / total) for n, w in tail)))


def surname_pool(origin: str, sex: str = "M") -> Pool:
    """Surnames of the people of `origin`; women of origins with women's surnames (AKTER, BIBI) have their own."""
    if sex == "F" and origin in names.ORIGINS and names.ORIGINS[origin].female_surnames:
        return _womens_surname_pool(origin)
    return _surname_pool(origin)


@cache
def _surname_pool(origin: str) -> Pool:
    if origin == "IT":
        shape = name_shapes.ITALIAN_SURNAMES
        listed = itertools.chain(name_shapes.FLORENCE_SURNAMES, names.ITALIAN_SURNAMES)
        return ranked_pool(itertools.chain(listed, name_tails.italian_surnames(shape[0])), shape)
    rest = itertools.chain(names.ORIGINS[origin].surnames, name_tails.surnames(origin))
    return headed_pool(name_shapes.HEADS.get((origin, "S"), ()), rest, name_shapes.FOREIGN_TAIL_EXPONENT)


@cache
def _womens_surname_pool(origin: str) -> Pool:
    """The women's surnames at their public shares, then the surnames men bear sharing the rest."""
    head = name_shapes.HEADS.get((origin, "SF"), ())
    unrated = tuple((n, _UNRATED_WOMENS_SURNAME) for n in names.ORIGINS[origin].female_surnames if n not in dict(head))
    return headed_pool(head + unrated, _surname_pool(origin), name_shapes.FOREIGN_TAIL_EXPONENT)


_UNRATED_WOMENS_SURNAME = 0.004
"""Share given to a listed women's surname that has no public figure in name_shapes.HEADS."""


@cache
def _italian_first_name_pool(male: bool, cohort: int) -> Pool:
    _, exponent, male_head, female_head = name_shapes.ITALIAN_COHORTS[cohort]
    listed = (
        (male_head, names.ITALIAN_MALE, name_tails.ITALIAN_FIRST_NAMES[0])
        if male
        else (female_head, names.ITALIAN_FEMALE, name_tails.ITALIAN_FIRST_NAMES[1])
    )
    size, knee, beyond = name_shapes.ITALIAN_FIRST_NAMES
    ranked = itertools.chain(*listed, name_tails.italian_first_names(male, size))
    return ranked_pool(ranked, (size, exponent, knee, beyond))


@cache
def first_name_pool(origin: str, sex: str, birth_year: int = 1980) -> Pool:
    """First names given to people of `origin` and `sex` (for Italians: of their birth cohort)."""
    male = sex == "M"
    if origin == "IT":
        return _italian_first_name_pool(male, name_shapes.cohort(birth_year))
    return _foreign_first_name_pool(origin, male)


@cache
def _foreign_first_name_pool(origin: str, male: bool) -> Pool:
    o = names.ORIGINS[origin]
    rest = itertools.chain(o.male if male else o.female, name_tails.first_names(origin, male))
    if origin == "CN":
        return headed_pool((), rest, name_shapes.CHINESE_GIVEN_EXPONENT)
    head = name_shapes.HEADS.get((origin, "M" if male else "F"), ())
    return headed_pool(head, rest, name_shapes.FOREIGN_TAIL_EXPONENT)


def report() -> list[str]:
    """One line per origin: pool sizes, the commonest names' shares and the collision probabilities."""
    lines = []
    for origin in ("IT", *names.ORIGINS):
        s = surname_pool(origin)
        m, f = first_name_pool(origin, "M"), first_name_pool(origin, "F")
        top5 = sum(s.shares()[:5])
        lines.append(
            f"{origin}: {len(s.names):>7,} surnames (top {s.names[0]} {s.share(s.names[0]):.2%}, top-5 {top5:.1%}, "
            f"collision {s.collision():.1e}); first names {len(m.names)} M / {len(f.names)} F "
            f"(top {m.names[0]} {m.share(m.names[0]):.1%} / {f.names[0]} {f.share(f.names[0]):.1%}, "
            f"collision {m.collision():.3f} / {f.collision():.3f})"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(report()))
