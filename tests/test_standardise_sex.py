"""Sex -> M, F or None."""

from __future__ import annotations

import math

import pytest

from schemas.standardise.sex import normalise_sex


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("M", "M"),
        ("F", "F"),
        ("m", "M"),
        ("f", "F"),
        (" M ", "M"),
        ("male", "M"),
        ("female", "F"),
        ("Male", "M"),
        ("FEMALE", "F"),
        ("maschio", "M"),
        ("Femmina", "F"),
        ("other", None),
        ("X", None),
        ("", None),
        (None, None),
        (math.nan, None),
        (1, None),
    ],
)
def test_normalise_sex(raw, expected):
    assert normalise_sex(raw) == expected
