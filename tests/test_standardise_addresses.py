"""Addresses: split columns and free text."""

from __future__ import annotations

import math

import pytest

from schemas.standardise.addresses import (
    Address,
    address_from_parts,
    normalise_house_number,
    normalise_municipality,
    normalise_postcode,
    normalise_toponym,
    parse_address,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("V.le Morgagni 33, 50134 Firenze", Address("VIALE", "MORGAGNI", "33", "50134", "FIRENZE")),
        ("via dei neri 12 rosso", Address("VIA", "DEI NERI", "12R", None, None)),
        ("P.zza della Signoria 1/r Firenze", Address("PIAZZA", "DELLA SIGNORIA", "1R", None, "FIRENZE")),
        ("Borgo S. Frediano 10", Address("BORGO", "S FREDIANO", "10", None, None)),
        ("Via dei Neri 12, 50122 Firenze", Address("VIA", "DEI NERI", "12", "50122", "FIRENZE")),
        ("P.za Santo Spirito 10", Address("PIAZZA", "S SPIRITO", "10", None, None)),
        ("B.go Pinti 45/R", Address("BORGO", "PINTI", "45R", None, None)),
        ("L.go Annigoni 2 50122 FIRENZE", Address("LARGO", "ANNIGONI", "2", "50122", "FIRENZE")),
        ("Lungarno Corsini 4/A, 50123 Firenze (FI)", Address("LUNGARNO", "CORSINI", "4A", "50123", "FIRENZE")),
        ("C.so Italia 12r", Address("CORSO", "ITALIA", "12R", None, None)),
        ("Vic. del Canneto 3", Address("VICOLO", "DEL CANNETO", "3", None, None)),
        ("V. Roma 3", Address("VIA", "ROMA", "3", None, None)),
        ("Via XX Settembre 5, Firenze", Address("VIA", "XX SETTEMBRE", "5", None, "FIRENZE")),
        ("Via 27 Aprile 10, 50129 Firenze", Address("VIA", "27 APRILE", "10", "50129", "FIRENZE")),
        ("Via Sant'Agostino 2", Address("VIA", "S AGOSTINO", "2", None, None)),
        ("Via Bolognese 12 bis, Firenze", Address("VIA", "BOLOGNESE", "12BIS", None, "FIRENZE")),
        ("Viale dei Mille 12A 50131 Firenze FI", Address("VIALE", "DEI MILLE", "12A", "50131", "FIRENZE")),
        ("Piazza Tasso", Address("PIAZZA", "TASSO", None, None, None)),
        ("Via Roma, 12", Address("VIA", "ROMA", "12", None, None)),
        ("Via Roma n. 12", Address("VIA", "ROMA", "12", None, None)),
        ("Via Roma 12 int. 3, 50100 Firenze", Address("VIA", "ROMA", "12", "50100", "FIRENZE")),  # flat dropped
        ("Viale Guidoni 100/1", Address("VIALE", "GUIDONI", "100/1", None, None)),
        ("Via Pisana 12/R, Scandicci", Address("VIA", "PISANA", "12R", None, "SCANDICCI")),
        ("Piazza Santa Croce 5 - 50122 Firenze", Address("PIAZZA", "S CROCE", "5", "50122", "FIRENZE")),
        ("", Address()),
        (None, Address()),
        (math.nan, Address()),
    ],
)
def test_parse_address(raw, expected):
    assert parse_address(raw) == expected


@pytest.mark.parametrize(
    "top, street, civico, cap, comune, expected",
    [
        ("VIA", "DEI NERI", "12", "50122", None, Address("VIA", "DEI NERI", "12", "50122", None)),
        ("BORGO", "SAN FREDIANO", "3/R", "50124", "FIRENZE", Address("BORGO", "S FREDIANO", "3R", "50124", "FIRENZE")),
        ("PIAZZA", "DELLA SIGNORIA", "12A", 50122, None, Address("PIAZZA", "DELLA SIGNORIA", "12A", "50122", None)),
        ("LUNGARNO", "CORSINI", "4", "50123", None, Address("LUNGARNO", "CORSINI", "4", "50123", None)),
        (
            None,
            "VIA DEI NERI",
            "12",
            None,
            None,
            Address("VIA", "DEI NERI", "12", None, None),
        ),  # toponym left in the street
        (None, None, None, None, None, Address()),
    ],
)
def test_address_from_parts(top, street, civico, cap, comune, expected):
    assert address_from_parts(top, street, civico, cap, comune) == expected


def test_free_text_and_split_columns_agree():
    assert parse_address("Borgo S. Frediano 3/r, 50124 Firenze") == address_from_parts(
        "BORGO", "SAN FREDIANO", "3/R", "50124", "FIRENZE"
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", "12"),
        ("12A", "12A"),
        ("12/A", "12A"),
        ("12 a", "12A"),
        ("3/R", "3R"),
        ("12/r", "12R"),
        ("12r", "12R"),
        ("12 rosso", "12R"),
        ("12 ROSSO", "12R"),
        ("012", "12"),
        ("3/1", "3/1"),
        ("12 bis", "12BIS"),
        ("SNC", None),
        (12, "12"),
        (12.0, "12"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_house_number(raw, expected):
    assert normalise_house_number(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("V.", "VIA"),
        ("V.le", "VIALE"),
        ("VLE", "VIALE"),
        ("P.zza", "PIAZZA"),
        ("P.za", "PIAZZA"),
        ("B.go", "BORGO"),
        ("L.go", "LARGO"),
        ("Lungarno", "LUNGARNO"),
        ("C.so", "CORSO"),
        ("Vic.", "VICOLO"),
        ("VICOLO", "VICOLO"),
        ("P.le", "PIAZZALE"),
        ("via", "VIA"),
        (None, None),
    ],
)
def test_normalise_toponym(raw, expected):
    assert normalise_toponym(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("50122", "50122"),
        (50122, "50122"),
        (184, "00184"),
        (184.0, "00184"),
        ("5012", "05012"),
        ("ABCDE", None),
        ("501222", None),
        (None, None),
    ],
)
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Firenze", "FIRENZE"),
        ("FIRENZE (FI)", "FIRENZE"),
        ("firenze fi", "FIRENZE"),
        ("Sesto Fiorentino", "SESTO FIORENTINO"),
        ("Forlì", "FORLI"),
        ("", None),
    ],
)
def test_normalise_municipality(raw, expected):
    assert normalise_municipality(raw) == expected
