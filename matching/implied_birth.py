"""Birth-date bounds implied by a record's events (settings `implied_birth`).

A volunteering record often has a name only; the services it received still tell an age: a child
helped at after-school is a minor, a volunteer an adult. `birth_bounds` turns the rules into the
`born_after` / `born_before` columns that `birth_window` comparisons read.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from matching import store
from matching.settings import ImpliedBirth, LinkageSettings
from warehouse.models import STAGING_TABLES

BOUND_COLUMNS = ("born_after", "born_before")


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def bounds_from_events(events: pd.DataFrame, spec: ImpliedBirth) -> pd.DataFrame:
    """Per person id of `events`: the latest `born_after` (a minor at the latest such event) and the earliest
    `born_before` (an adult at the earliest) that its events imply."""
    after, before = [], []
    for rule in spec.rules:
        hit = np.ones(len(events), dtype=bool)
        for col, value in rule.where.items():
            hit &= (events[col].astype(object) == value).to_numpy()
        ev = events.loc[hit, [spec.person_column, spec.date_column]].dropna()
        ev = ev.sort_values(spec.date_column, kind="stable")  # per person its latest / earliest event date, by
        # one sort instead of a groupby that compares date objects group by group
        if rule.younger_than is not None:
            last = ev.drop_duplicates(spec.person_column, keep="last").set_index(spec.person_column)[spec.date_column]
            after.append(last.sort_index().map(lambda d, y=rule.younger_than: _years_before(d, y)))
        else:
            first = ev.drop_duplicates(spec.person_column, keep="first").set_index(spec.person_column)[spec.date_column]
            before.append(first.sort_index().map(lambda d, y=rule.older_than: _years_before(d, y)))

    def combine(parts: list[pd.Series], how: str) -> pd.Series:
        if len(parts) == 1:  # one value per person already
            return parts[0]
        return pd.concat(parts).groupby(level=0).agg(how) if parts else pd.Series(dtype=object)

    return pd.DataFrame({"born_after": combine(after, "max"), "born_before": combine(before, "min")}).astype(object)


def birth_bounds(conn, spec: ImpliedBirth) -> pd.DataFrame:
    """Bounds of the records of `spec.system`, index = record key (system:id)."""
    table = STAGING_TABLES.get(spec.table)
    if table is None:  # not a staging table of the hub's models: read its columns from the database
        table = sa.Table(spec.table, sa.MetaData(), autoload_with=conn)
    cols = list(dict.fromkeys([spec.person_column, spec.date_column, *(c for r in spec.rules for c in r.where)]))
    out = bounds_from_events(store.read_frame(conn, sa.select(*[table.c[c] for c in cols]), cols), spec)
    out.index = pd.Index([store.record_key(spec.system, str(i)) for i in out.index], name="record_key")
    return out


def with_birth_bounds(records: pd.DataFrame, settings: LinkageSettings, conn=None) -> pd.DataFrame:
    """`records` with the bound columns the settings read: from the events when `conn` is given, else empty
    (no evidence) where the frame lacks them."""
    spec = settings.implied_birth
    if spec is None:
        return records
    if conn is not None:
        b = birth_bounds(conn, spec).reindex(records.index)
        return records.assign(**{c: b[c].to_numpy(dtype=object) for c in BOUND_COLUMNS})
    missing = {c: None for c in BOUND_COLUMNS if c not in records.columns}
    return records.assign(**missing) if missing else records
