"""Priors that know the population: weak evidence is weaker where more people could bear it.

A name-only record, or one whose birth date is a 1 January placeholder (a year only), points at everyone who
bears that name (and that birth year). The level weights price the name and the date separately, from shares
that do not grow with the population; in a city, several people bear MARIA ROSSI born in 1980. So a pair
whose strongest date evidence is weak (settings `population`: the date comparison at a year-only level, or
missing) and that no strong comparison settles (an agreeing codice fiscale) gets

    population adjustment = -log2(1 + K)

where K is the expected number of other people bearing the pair's key across all staged records: (name, birth
year) when the years agree, the name alone when a date is missing. People are told apart by their full birth
dates (not placeholders; a day/month swap is one date): K counts the distinct full dates among the key's
records, less those of the pair's own two records, plus the key's records without a full date (less the
pair's own, and one per dated bearer, who may own it), each worth 1 / (records per dated person) people. The same pair in a world ten times larger
meets about ten times as many bearers and weighs about log2(10) bits less.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.comparators import bool_masks, date_parts
from matching.scoring import FittedModel
from matching.settings import LinkageSettings, PopulationPrior


def _codes(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.codes, dtype=np.int64)
    return pd.factorize(col.astype(object), use_na_sentinel=True)[0].astype(np.int64)


def person_dates(records: pd.DataFrame, spec: PopulationPrior) -> np.ndarray:
    """Per record: its full birth date as YYYYMMDD with day and month in ascending order (a swap is one
    date), -1 for none, a placeholder or a 1 January date."""
    y, m, d = date_parts(records[spec.birth_date])
    full = (y >= 0) & ~((m == 1) & (d == 1))
    if spec.is_default and spec.is_default in records.columns:
        full &= ~bool_masks(records[spec.is_default])[0]
    lo, hi = np.minimum(m, d).astype(np.int64), np.maximum(m, d).astype(np.int64)
    return np.where(full, y.astype(np.int64) * 10_000 + lo * 100 + hi, -1)


class Bearers:
    """The people bearing each key of the records (`keys` per record, -1 none): the distinct full dates among the
    key's records, and its records without a full date beyond one per such date, each worth 1 / (records per
    dated person) people."""

    def __init__(self, keys: np.ndarray, dates: np.ndarray):
        self.keys, self.dates = keys, dates
        ok = (keys >= 0) & (dates >= 0)
        self.combos = np.unique(keys[ok] * 100_000_000 + dates[ok])
        size = int(keys.max(initial=-1)) + 1
        self.people = np.bincount(self.combos // 100_000_000, minlength=size)
        self.undated = np.bincount(keys[(keys >= 0) & (dates < 0)], minlength=size)
        self.records_per_person = max(1.0, int(ok.sum()) / max(self.combos.size, 1))

    def _has(self, key: np.ndarray, date: np.ndarray) -> np.ndarray:
        c = key * 100_000_000 + date
        at = np.minimum(np.searchsorted(self.combos, c), max(self.combos.size - 1, 0))
        return (key >= 0) & (date >= 0) & (self.combos.size > 0) & (self.combos[at] == c)

    def others(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair (positions a, b): the expected people bearing a's key other than the pair's own two."""
        ka = self.keys[a]
        on = ka >= 0
        k = np.maximum(ka, 0)
        own = self._has(ka, self.dates[a]).astype(np.int64)
        own += (self._has(ka, self.dates[b]) & (self.dates[b] != self.dates[a])).astype(np.int64)
        own_undated = (self.dates[a] < 0).astype(np.int64) + ((self.dates[b] < 0) & (self.keys[b] == ka))
        dated = np.maximum(self.people[k] - own, 0)
        # undated records beyond one per dated bearer: the dated bearers' own records come first
        undated = np.maximum(self.undated[k] - own_undated - self.people[k], 0) / self.records_per_person
        return np.where(on, dated + undated, 0.0)


def _bearers(records: pd.DataFrame, spec: PopulationPrior) -> tuple[Bearers, Bearers]:
    """The bearers of the name and of (name, year) among `records` (cached in `records.attrs`)."""
    key = f"__population__{spec.name}__{spec.year}"
    if key not in records.attrs:
        name = _codes(records[spec.name])
        year = _codes(records[spec.year])
        name_year = np.where((name >= 0) & (year >= 0), name * (int(year.max(initial=-1)) + 1) + year, -1)
        dates = person_dates(records, spec)
        records.attrs[key] = (Bearers(name, dates), Bearers(name_year, dates))
    return records.attrs[key]


def population_adjustments(
    model: FittedModel, settings: LinkageSettings, records: pd.DataFrame, levels: np.ndarray, i, j
) -> np.ndarray | None:
    """Per pair (positions i, j of `records`, at `levels`): the population adjustment of its match weight (0
    where the date evidence is strong or a strong comparison agrees); None without settings `population`."""
    spec = settings.population
    if spec is None or not len(levels):
        return None if spec is None else np.zeros(0)
    labels = {c.name: c.labels for c in model.comparisons}
    names = [c.name for c in model.comparisons]
    date_level = np.asarray(labels[spec.date_comparison], dtype=object)[levels[:, names.index(spec.date_comparison)]]
    by_year = np.isin(date_level, spec.year_levels)
    by_name = np.isin(date_level, spec.missing_levels)
    weak = by_year | by_name
    for comp, strong in spec.unless.items():
        lab = np.asarray(labels[comp], dtype=object)[levels[:, names.index(comp)]]
        weak &= ~np.isin(lab, strong)
    out = np.zeros(len(levels))
    if not weak.any():
        return out
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    name, name_year = _bearers(records, spec)
    k = np.zeros(len(levels))
    for sel, bearers in ((weak & by_year, name_year), (weak & by_name, name)):
        if sel.any():
            k[sel] = np.maximum(bearers.others(i[sel], j[sel]), bearers.others(j[sel], i[sel]))
    out[weak] = -np.log2(1.0 + k[weak])
    return out
