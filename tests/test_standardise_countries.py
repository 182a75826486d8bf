"""Countries, citizenships, Belfiore codes and birthplaces."""

from __future__ import annotations

import math

import pytest

from schemas.standardise.countries import belfiore_to_iso2, birthplace, country_to_iso2


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Italia", "IT"),
        ("ITALIA", "IT"),
        ("italia", "IT"),
        ("Italy", "IT"),
        ("ROMANIA", "RO"),
        ("Romania", "RO"),
        ("marocco", "MA"),
        ("Marocco", "MA"),
        ("Morocco", "MA"),
        ("Cina", "CN"),
        ("Repubblica Popolare Cinese", "CN"),
        ("China", "CN"),
        ("Perù", "PE"),
        ("PERU'", "PE"),
        ("Peru", "PE"),
        ("Filippine", "PH"),
        ("Philippines", "PH"),
        ("Senegal", "SN"),
        ("Ucraina", "UA"),
        ("Ukraine", "UA"),
        ("Albania", "AL"),
        ("Moldavia", "MD"),
        ("Moldova", "MD"),
        ("Russia", "RU"),
        ("Federazione Russa", "RU"),
        ("Bangladesh", "BD"),
        ("Sri Lanka", "LK"),
        ("Tunisia", "TN"),
        ("Egitto", "EG"),
        ("Nigeria", "NG"),
        ("Costa d'Avorio", "CI"),
        ("Germania", "DE"),
        ("Regno Unito", "GB"),
        ("Stati Uniti", "US"),
        ("Kosovo", "XK"),
        ("Repubblica Ceca", "CZ"),
        ("Pakistan", "PK"),
        ("Georgia", "GE"),
        ("IT", "IT"),
        ("RO", "RO"),
        ("ma", "MA"),
        ("ROU", "RO"),
        ("romena", "RO"),
        ("RUMENA", "RO"),
        ("marocchino", "MA"),
        ("italiana", "IT"),
        ("cinese", "CN"),
        ("apolide", None),
        ("Atlantide", None),
        ("", None),
        (None, None),
        (math.nan, None),
    ],
)
def test_country_to_iso2(raw, expected):
    assert country_to_iso2(raw) == expected


@pytest.mark.parametrize(
    "code, expected",
    [
        ("Z129", "RO"),
        ("Z330", "MA"),
        ("Z210", "CN"),
        ("Z611", "PE"),
        ("Z216", "PH"),
        ("Z343", "SN"),
        ("Z138", "UA"),
        ("Z100", "AL"),
        ("Z112", "DE"),
        ("Z106", "VA"),
        ("z129", "RO"),
        ("D612", "IT"),
        ("G999", "IT"),  # Italian municipalities
        ("Z999", None),
        ("X000", None),
        ("D61", None),
        ("", None),
        (None, None),
    ],
)
def test_belfiore_to_iso2(code, expected):
    assert belfiore_to_iso2(code) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Firenze", ("FIRENZE", "D612", "IT")),
        ("FIRENZE", ("FIRENZE", "D612", "IT")),
        ("Firenze (FI)", ("FIRENZE", "D612", "IT")),
        ("FIRENZE FI", ("FIRENZE", "D612", "IT")),
        ("Prato", ("PRATO", "G999", "IT")),
        ("Sesto Fiorentino", ("SESTO FIORENTINO", "I684", "IT")),
        ("Forlì", ("FORLI", "D704", "IT")),
        ("ROMANIA", ("ROMANIA", "Z129", "RO")),
        ("Marocco", ("MAROCCO", "Z330", "MA")),
        ("Cina", ("CINA", "Z210", "CN")),
        ("Perù", ("PERU", "Z611", "PE")),
        ("Casablanca", ("CASABLANCA", None, None)),  # foreign city: unknown code and country
        ("Bucarest", ("BUCAREST", None, None)),
        ("Castro", ("CASTRO", None, "IT")),  # two current municipalities share the name
        ("", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_birthplace(raw, expected):
    assert birthplace(raw) == expected
