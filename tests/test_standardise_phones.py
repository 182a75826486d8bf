"""Phones -> E.164."""

from __future__ import annotations

import math

import pytest

from schemas.standardise.phones import normalise_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+39 333 1234567", "+393331234567"),
        ("+39 333 123 4567", "+393331234567"),  # polis example
        ("333 1234567", "+393331234567"),  # sat example
        ("3331234567", "+393331234567"),
        ("333-123.45.67", "+393331234567"),
        ("0039 333 1234567", "+393331234567"),
        ("055/123456", "+39055123456"),
        ("0039 055 123456", "+39055123456"),
        ("(055) 123 456", "+39055123456"),
        ("+39 (0)55 123456", "+39055123456"),
        ("055 2768224", "+390552768224"),
        (3331234567, "+393331234567"),
        ("+40 721 234 567", "+40721234567"),  # Romanian mobile
        ("+212 612-345678", "+212612345678"),  # Moroccan mobile
        ("12345", None),
        ("333", None),
        ("abc", None),
        ("0000000000", None),
        ("", None),
        ("   ", None),
        (None, None),
        (math.nan, None),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected
