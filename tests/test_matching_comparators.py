"""Each comparator's levels on hand-made value pairs; recordlinkage.Compare integration."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import recordlinkage

from matching.comparators import (
    AddressComparator,
    BirthplaceComparator,
    BirthWindowComparator,
    CodiceFiscaleComparator,
    DateComparator,
    ExactComparator,
    NameComparator,
    StringComparator,
    cf_prefix,
    typed_cf11,
    variant_key,
)
from tests.test_matching_helpers import base_of, make_cf, omocodic


def labels(comp, left: dict, right: dict) -> list[str]:
    """Level labels for pairs given as role -> list of values per side."""
    lv = comp.compute_levels(
        {k: pd.Series(v, dtype=object) for k, v in left.items()},
        {k: pd.Series(v, dtype=object) for k, v in right.items()},
    )
    assert lv.dtype == np.int8
    return [comp.labels[x] for x in lv]


def test_name_levels():
    c = NameComparator({"value": "f", "swap": "l", "middle": "m", "alt": "a"})
    pairs = [  # (first, last, middle, alt) left, right, expected
        (("MARIO", "ROSSI", None, None), ("MARIO", "ROSSI", None, None), "exact"),
        (("MARTINA", "ROSSI", None, None), ("MARTNA", "ROSSI", None, None), "jw_0.92"),
        (("GIANLUCA", "ROSSI", None, None), ("GIANLUIGI", "ROSSI", None, None), "jw_0.85"),
        (("GIUSEPPE", "ROSSI", None, None), ("JOSEPH", "ROSSI", None, None), "else"),
        (("MOHAMED", "ALI", None, None), ("MUHAMMAD", "ALI", None, None), "phonetic"),
        (("YOUSSEF", "ALI", None, None), ("JUSEF", "ALI", None, None), "variant"),
        (("KARIM", "HADDAD", None, None), ("HADDAD", "KARIM", None, None), "swapped"),
        (("MARIA", "ROSSI", "GRAZIA", None), ("GRAZIA", "ROSSI", None, None), "subset"),
        (("ANNA", "ROSSI", None, None), ("FEDERICA", "ROSSI", None, None), "else"),
        ((None, "ROSSI", None, None), ("MARIO", "ROSSI", None, None), "missing"),
        (("AHMED", "OMAR", None, "OMAR"), ("OMAR", "AHMED", None, None), "exact"),  # alternative reading
    ]
    left = {
        "value": [p[0][0] for p in pairs],
        "swap": [p[0][1] for p in pairs],
        "middle": [p[0][2] for p in pairs],
        "alt": [p[0][3] for p in pairs],
    }
    right = {
        "value": [p[1][0] for p in pairs],
        "swap": [p[1][1] for p in pairs],
        "middle": [p[1][2] for p in pairs],
        "alt": [p[1][3] for p in pairs],
    }
    assert labels(c, left, right) == [p[2] for p in pairs]


def test_swapped_compares_whole_names():
    """A compound surname typed in the given-names field is split into a first and a middle name by staging:
    the swapped level joins the given names (spaces ignored) and accepts a transliteration key as well."""
    levels = ["exact", "swapped", {"swapped": 0.85}, "subset"]
    first = NameComparator({"value": "f", "swap": "l", "middle": "m"}, levels=levels)
    last = NameComparator({"value": "l", "swap": "f", "swap_middle": "m"}, levels=levels)
    pairs = [  # (first, last, middle) left, right, expected
        (("MOHAMED", "AIT HOUN", None), ("AIT", "MOHAMAD", "OUN"), "swapped"),
        (("LUIS", "FLORES", "ALBERTO"), ("FLORES", "LUIS ALBERTO", None), "swapped"),
        (("KHALID", "ELMIRI", None), ("EL", "KHALID", "MIRI"), "swapped"),
        (("IURII", "KYTETS", None), ("KYTETS", "YURII", None), "swapped"),  # YURII ~ IURII by key only
        (("WILMER", "NAVARRO", None), ("NSVARRO", "WILMER", None), "swapped_0.85"),
        (("MARIO", "ROSSI", None), ("ROSSI", "ANNA", None), "else"),
        (("MARIO", "ROSSI", None), ("BIANCHI", "MARIO", None), "else"),
    ]

    def side(k):
        return {"value": [p[k][0] for p in pairs], "swap": [p[k][1] for p in pairs], "middle": [p[k][2] for p in pairs]}

    assert labels(first, side(0), side(1)) == [p[2] for p in pairs]

    def as_last(k):
        return {
            "value": [p[k][1] for p in pairs],
            "swap": [p[k][0] for p in pairs],
            "swap_middle": [p[k][2] for p in pairs],
        }

    assert labels(last, as_last(0), as_last(1)) == [p[2] for p in pairs]


def test_name_phonetic_level_and_codes():
    c = NameComparator({"value": "f"}, levels=["exact", "phonetic"])
    assert c.labels == ["missing", "exact", "phonetic", "else"]
    assert labels(c, {"value": ["ROSSI", "ROSSI"]}, {"value": ["ROSI", "BIANCHI"]}) == ["phonetic", "else"]
    assert variant_key("MOHAMMED") == variant_key("MOHAMED")


def test_string_edit_levels():
    c = StringComparator({"value": "ssn"}, levels=["exact", {"edit": 1}, {"edit": 2}])
    assert labels(
        c,
        {"value": ["1234567", "1234567", "1234567", "1234567", ""]},
        {"value": ["1234567", "1243567", "1299567", "7654321", "1"]},
    ) == ["exact", "edit_1", "edit_2", "else", "missing"]


def test_date_levels():
    c = DateComparator({"value": "d", "is_default": "dd"})
    d = dt.date
    left = [d(1980, 3, 5), d(1980, 3, 5), d(1980, 3, 5), d(1980, 3, 5), d(1980, 1, 1), d(1980, 1, 1), None]
    right = [d(1980, 3, 5), d(1980, 5, 3), d(1981, 3, 5), d(1975, 7, 9), d(1980, 6, 12), d(1979, 6, 12), d(1980, 3, 5)]
    dflt = [False, False, False, False, True, True, False]
    assert labels(c, {"value": left, "is_default": dflt}, {"value": right, "is_default": [False] * 7}) == [
        "exact",
        "dm_swapped",
        "one_off",
        "else",
        "default_year",
        "else",
        "missing",
    ]


def test_date_levels_on_text_and_datetime64():
    c = DateComparator({"value": "d"}, levels=["exact", "one_off"])
    lv = c.compute_levels(
        {"value": pd.Series(["19800305", "19800305"])},
        {"value": pd.Series(pd.to_datetime(["1980-03-05", "1980-03-15"]))},
    )
    assert [c.labels[x] for x in lv] == ["exact", "one_off"]


def test_codice_fiscale_levels():
    c = CodiceFiscaleComparator({"code": "c", "base": "b", "status": "s", "consistent": "k", "typed": "t"})
    mario = make_cf("ROSSI", "MARIO", "M", dt.date(1980, 3, 5), "D612")
    luigi = make_cf("ROSSI", "LUIGI", "M", dt.date(1982, 4, 6), "D612")
    omo = omocodic(mario)
    typo = mario[:8] + "X" + mario[9:]
    typed_mario = typed_cf11(["ROSSI"], ["MARIO"], [dt.date(1980, 3, 5)], ["M"])[0]
    assert typed_mario == mario[:11] and cf_prefix(omo) == mario[:11] and base_of(omo) == mario

    def rec(code, status, consistent=True, typed=None):
        return {
            "c": code,
            "b": base_of(code) if status in ("valid", "omocodic") else None,
            "s": status,
            "k": consistent,
            "t": typed,
        }

    cases = [
        (rec(mario, "valid"), rec(mario, "valid"), "exact"),
        (rec(mario, "valid"), rec(omo, "omocodic"), "omocodic"),
        (rec(mario, "valid"), rec(typo, "invalid", None), "one_off"),
        (rec(mario, "valid"), rec(None, "missing", None, typed_mario), "decoded"),
        (rec(mario, "valid"), rec(luigi, "valid"), "different_valid"),
        (rec(mario, "valid"), rec("12345678901", "provisional", None), "else"),
        (rec(None, "missing", None), rec(None, "missing", None), "missing"),
        (rec(mario, "valid"), rec(None, "missing", None, "XXXYYY80C05"), "missing"),
        (rec(mario, "valid", False), rec(mario, "valid"), "untrusted"),  # a relative's code copied
    ]
    left = {r: [cs[0][k] for cs in cases] for r, k in zip(("code", "base", "status", "consistent", "typed"), "cbskt")}
    right = {r: [cs[1][k] for cs in cases] for r, k in zip(("code", "base", "status", "consistent", "typed"), "cbskt")}
    assert labels(c, left, right) == [cs[2] for cs in cases]
    assert c.neutral_codes == [0, 1]


def test_exact_address_birthplace_levels():
    assert labels(ExactComparator({"value": "sex"}), {"value": ["M", "M", None]}, {"value": ["M", "F", "F"]}) == [
        "exact",
        "else",
        "missing",
    ]
    a = AddressComparator({"street": "s", "number": "n"})
    assert labels(
        a,
        {"street": ["ROMA", "GARIBALDI", "ROMA", "ROMA", None], "number": ["12", "4", "12", "1", "1"]},
        {"street": ["ROMA", "GARIBALDY", "ROMA", "VERDI", "ROMA"], "number": ["12", "4", "14", "1", "1"]},
    ) == ["exact", "fuzzy", "street", "else", "missing"]
    b = BirthplaceComparator({"code": "c", "name": "n", "country": "k"})
    assert labels(
        b,
        {
            "code": ["D612", None, "D612", "Z129", None],
            "name": ["FIRENZE", "FIRENZE", "FIRENZE", "ROMANIA", None],
            "country": ["IT", "IT", "IT", "RO", None],
        },
        {
            "code": ["D612", None, "H501", "Z330", "D612"],
            "name": ["FIRENZE", "FIRENZA", "ROMA", "MAROCCO", "FIRENZE"],
            "country": ["IT", "IT", "IT", "MA", "IT"],
        },
    ) == ["exact", "fuzzy", "country", "else", "missing"]


def test_invalid_specs_are_rejected():
    with pytest.raises(ValueError, match="unknown level"):
        NameComparator({"value": "f"}, levels=["exact", "nonsense"])
    with pytest.raises(ValueError, match="needs a threshold"):
        StringComparator({"value": "f"}, levels=["jw"])
    with pytest.raises(ValueError, match="swap"):
        NameComparator({"value": "f"}, levels=["swapped"])


def test_comparators_work_inside_recordlinkage_compare():
    df = pd.DataFrame(
        {
            "first": ["MARIO", "MARIO", "LUIGI"],
            "last": ["ROSSI", "ROSSI", "VERDI"],
            "dob": ["1980-03-05", "1980-05-03", "1970-01-02"],
        },
        index=["a", "b", "c"],
    )
    pairs = pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])
    comp = recordlinkage.Compare()
    comp.add(NameComparator({"value": "first", "swap": "last"}, label="first"))
    comp.add(DateComparator({"value": "dob"}, label="dob"))
    feats = comp.compute(pairs, df)
    assert list(feats.columns) == ["first", "dob"]
    assert feats.loc[("a", "b")].tolist() == [1, 2]  # exact, dm_swapped
    assert feats.loc[("a", "c"), "first"] == len(NameComparator({"value": "f", "swap": "l"}).labels) - 1


def test_birth_window_levels():
    c = BirthWindowComparator({"value": "b", "after": "a", "before": "z"})
    D = dt.date
    pairs = [  # (birth, after, before) left, right, expected
        ((D(2015, 1, 1), None, None), (None, D(2006, 1, 1), None), "inside"),  # a child, a minor at the service
        ((D(1980, 1, 1), None, None), (None, D(2006, 1, 1), None), "else"),  # an adult, a minor at the service
        ((None, None, D(2007, 5, 5)), (D(1990, 1, 1), None, None), "inside"),  # the bound on the left
        ((None, None, D(2007, 5, 5)), (D(2012, 1, 1), None, None), "else"),  # a child volunteer: no
        ((D(2000, 1, 1), D(1990, 1, 1), None), (D(2001, 1, 1), D(2006, 1, 1), None), "missing"),  # both dated
        ((None, D(2006, 1, 1), None), (None, None, None), "missing"),
    ]

    def side(k):
        return {
            r: pd.Series([p[k][n] for p in pairs], dtype=object) for n, r in enumerate(("value", "after", "before"))
        }

    assert labels(c, side(0), side(1)) == [p[2] for p in pairs]
