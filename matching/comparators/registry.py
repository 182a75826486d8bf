"""The comparator registry: settings kinds -> comparator classes, and the factory that builds them.

`Comparison.kind` in the linkage settings names one of `COMPARATORS`; the settings validate a comparison's
roles and levels against that class, and `build_comparator` instantiates it for a run.
"""

from __future__ import annotations

from matching.comparators.base import LevelComparator
from matching.comparators.codes import CodiceFiscaleComparator
from matching.comparators.contact import AddressComparator, BirthplaceComparator, ExactComparator
from matching.comparators.dates import BirthWindowComparator, DateComparator
from matching.comparators.names import NameComparator, StringComparator

COMPARATORS: dict[str, type[LevelComparator]] = {
    c.kind: c
    for c in (
        StringComparator,
        NameComparator,
        ExactComparator,
        DateComparator,
        CodiceFiscaleComparator,
        AddressComparator,
        BirthplaceComparator,
        BirthWindowComparator,
    )
}


def build_comparator(spec, workers: int = 1) -> LevelComparator:
    """A comparator from a settings `Comparison`."""
    cls = COMPARATORS[spec.kind]
    return cls(dict(spec.columns), levels=spec.levels, label=spec.name, workers=workers)
