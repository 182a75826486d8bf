"""Codice fiscale: cleaning, status, check character, omocodia, decoding, consistency with the record."""

from __future__ import annotations

import random
from datetime import date

import pytest
from codicefiscale import codicefiscale

from schemas.standardise.codice_fiscale import (
    birth_date_slip,
    cf_consistency,
    cf_is_own,
    cf_mismatches,
    check_char,
    name_code,
    parse_cf,
    partita_iva_ok,
    surname_code,
)

TODAY = date(2026, 11, 25)

MARIA = codicefiscale.encode("Rossi", "Maria Grazia", "F", "1984-02-11", "Firenze")  # RSSMGR84B51D612E
LUCA = codicefiscale.encode("Rossi", "Luca", "M", "2010-09-02", "Firenze")  # her son
FATIMA = codicefiscale.encode("El Amrani", "Fatima", "F", "1991-07-30", "Marocco")
NICCOLO = codicefiscale.encode("Niccolai", "Niccolò", "M", "1931-05-04", "Prato")


def omocode(code: str, positions: tuple[int, ...]) -> str:
    """Substitute the digits at `positions` with their omocodic letters and recompute the check char."""
    table = str.maketrans("0123456789", "LMNPQRSTUV")
    chars = list(code[:15])
    for i in positions:
        chars[i] = chars[i].translate(table)
    body = "".join(chars)
    return body + codicefiscale.encode_cin(body)


def test_fixture_codes_are_the_contract_examples():
    assert MARIA == "RSSMGR84B51D612E" and LUCA == "RSSLCU10P02D612C"


@pytest.mark.parametrize(
    "raw, code, status, base",
    [
        (MARIA, MARIA, "valid", MARIA),
        (" rssmgr84b51d612e ", MARIA, "valid", MARIA),
        ("RSS MGR 84B51 D612E", MARIA, "valid", MARIA),
        (omocode(MARIA, (14,)), omocode(MARIA, (14,)), "omocodic", MARIA),
        (omocode(MARIA, (14, 13)), omocode(MARIA, (14, 13)), "omocodic", MARIA),
        (omocode(MARIA, (6, 7, 9, 10, 12, 13, 14)), omocode(MARIA, (6, 7, 9, 10, 12, 13, 14)), "omocodic", MARIA),
        (omocode(FATIMA, (9,)), omocode(FATIMA, (9,)), "omocodic", FATIMA),
        ("RSSMGR84B51D612X", "RSSMGR84B51D612X", "invalid", None),  # wrong check character
        ("RSSMGR84B51D612", "RSSMGR84B51D612", "invalid", None),  # 15 chars
        ("RSSMGR84Z51D612E", "RSSMGR84Z51D612E", "invalid", None),  # Z is not a month
        ("RSSMGR8AB51D612E", "RSSMGR8AB51D612E", "invalid", None),  # A is not an omocodic letter
        ("12345678903", "12345678903", "provisional", None),  # partita-IVA check digit right
        ("01234567897", "01234567897", "provisional", None),
        ("12345678901", "12345678901", "invalid", None),  # wrong check digit
        ("1234567890", "1234567890", "invalid", None),
        ("", None, "missing", None),
        ("   ", None, "missing", None),
        (None, None, "missing", None),
        (float("nan"), None, "missing", None),
    ],
)
def test_parse_cf_status(raw, code, status, base):
    info = parse_cf(raw, today=TODAY)
    assert (info.code, info.status, info.cf_base) == (code, status, base)


def test_invalid_check_char_is_flagged_not_decoded():
    info = parse_cf("RSSMGR84B51D612X", today=TODAY)
    assert info.check_ok is False and info.sex is None and info.birth_date is None and "expected 'E'" in info.reason


def test_impossible_date_is_invalid():
    body = "RSSMGR84B71D612"  # day 71 - 40 = 31 February
    info = parse_cf(body + check_char(body), today=TODAY)
    assert info.status == "invalid" and info.check_ok is True


@pytest.mark.parametrize(
    "code, sex, born, place",
    [
        (MARIA, "F", date(1984, 2, 11), "D612"),
        (LUCA, "M", date(2010, 9, 2), "D612"),
        (FATIMA, "F", date(1991, 7, 30), "Z330"),
        (NICCOLO, "M", date(1931, 5, 4), "G999"),
        (omocode(MARIA, (6, 7, 9, 10, 12, 13, 14)), "F", date(1984, 2, 11), "D612"),
        (codicefiscale.encode("Bianchi", "Sara", "F", "2025-03-01", "Firenze"), "F", date(2025, 3, 1), "D612"),
        (codicefiscale.encode("Bianchi", "Ada", "F", "1927-03-01", "Firenze"), "F", date(1927, 3, 1), "D612"),
    ],
)
def test_parse_cf_decodes(code, sex, born, place):
    info = parse_cf(code, today=TODAY)
    assert (info.sex, info.birth_date, info.birthplace_code, info.place_known) == (sex, born, place, True)


def test_century_is_never_in_the_future():
    code = codicefiscale.encode("Bianchi", "Ada", "F", "1927-12-01", "Firenze")
    assert parse_cf(code, today=date(2026, 11, 25)).birth_date == date(1927, 12, 1)
    assert parse_cf(code, today=date(2028, 1, 1)).birth_date == date(2027, 12, 1)


def test_agrees_with_python_codicefiscale_on_random_codes():
    rng = random.Random(7)
    places = [
        "Firenze",
        "Prato",
        "Roma",
        "Napoli",
        "Romania",
        "Marocco",
        "Repubblica Popolare Cinese",
        "Perù",
        "Albania",
    ]
    for _ in range(300):
        born = date(rng.randint(1925, 2024), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("MF")
        code = codicefiscale.encode(
            rng.choice(["Rossi", "De Luca", "Wu", "Ba"]),
            rng.choice(["Ugo", "Maria Grazia", "Li"]),
            sex,
            born.isoformat(),
            rng.choice(places),
        )
        positions = tuple(p for p in (6, 7, 9, 10, 12, 13, 14) if rng.random() < 0.2)
        if positions:
            code = omocode(code, positions)
        ref = codicefiscale.decode(code)
        info = parse_cf(code, today=TODAY)
        assert info.status == ("omocodic" if positions else "valid")
        assert codicefiscale.is_omocode(code) == bool(positions)
        assert info.sex == ref["gender"]
        expected = ref["birthdate"].date()
        if expected > TODAY:  # the library resolves the century on the year only; we never go past today
            expected = expected.replace(year=expected.year - 100)
        assert info.birth_date == expected
        assert info.birthplace_code == ref["birthplace"]["code"]
        assert info.cf_base == ref["omocodes"][0]


@pytest.mark.parametrize(
    "surname, given, expected_surname, expected_name",
    [
        ("ROSSI", "MARIAGRAZIA", "RSS", "MGR"),
        ("DELUCA", "ANTONIO", "DLC", "NTN"),
        ("DANGELO", "GIUSEPPE", "DNG", "GPP"),
        ("FO", "LI", "FOX", "LIX"),
        ("NICCOLAI", "NICCOLO", "NCC", "NCL"),
        ("ELAMRANI", "FATIMA", "LMR", "FTM"),
    ],
)
def test_name_parts(surname, given, expected_surname, expected_name):
    assert surname_code(surname) == expected_surname == codicefiscale.encode_lastname(surname)
    assert name_code(given) == expected_name == codicefiscale.encode_firstname(given)


@pytest.mark.parametrize(
    "code, last, first, middle, sex, born, place, expected",
    [
        # the record's own code
        (MARIA, "ROSSI", "MARIA", "GRAZIA", "F", date(1984, 2, 11), "D612", True),
        # second name dropped on the record: MARIA alone gives MRA, but MGR is MARIA + a dropped name
        (MARIA, "ROSSI", "MARIA", None, "F", date(1984, 2, 11), "D612", True),
        # a wrong middle name typed: MARIA TERESA gives MTR, not MGR
        (MARIA, "ROSSI", "MARIA", "TERESA", "F", date(1984, 2, 11), "D612", False),
        # omocodic version of the same code
        (omocode(MARIA, (14, 13)), "ROSSI", "MARIA", "GRAZIA", "F", date(1984, 2, 11), "D612", True),
        # a relative's code: the mother's code on her son's record
        (MARIA, "ROSSI", "LUCA", None, "M", date(2010, 9, 2), "D612", False),
        # twin with the sibling's code: same surname, date, place; different name and sex
        (LUCA, "ROSSI", "GIULIA", None, "F", date(2010, 9, 2), "D612", False),
        # only the date typed, and it agrees
        (LUCA, None, None, None, None, date(2010, 9, 2), None, True),
        # date agrees, century-agnostic (typed 1910 vs decoded 2010 share day, month, two-digit year)
        (LUCA, None, None, None, None, date(1910, 9, 2), None, True),
        # wrong birthplace
        (FATIMA, "ELAMRANI", "FATIMA", None, "F", date(1991, 7, 30), "D612", False),
        (FATIMA, "ELAMRANI", "FATIMA", None, "F", date(1991, 7, 30), "Z330", True),
        # particles and apostrophes do not matter to the consonant rule
        (
            codicefiscale.encode("D'Angelo", "Giuseppe", "M", "1970-01-01", "Firenze"),
            "DANGELO",
            "GIUSEPPE",
            None,
            "M",
            date(1970, 1, 1),
            "D612",
            True,
        ),
        # nothing to check
        (MARIA, None, None, None, None, None, None, None),
        # unusable code
        ("RSSMGR84B51D612X", "ROSSI", "MARIA", "GRAZIA", "F", date(1984, 2, 11), "D612", None),
        ("12345678903", "ROSSI", "MARIA", "GRAZIA", "F", date(1984, 2, 11), "D612", None),
        (None, "ROSSI", "MARIA", None, "F", date(1984, 2, 11), "D612", None),
    ],
)
def test_cf_consistency(code, last, first, middle, sex, born, place, expected):
    info = parse_cf(code, today=TODAY)
    assert cf_consistency(info, last, first, sex, born, place, middle_names_norm=middle) is expected


@pytest.mark.parametrize(
    "first, part, strict, ok",
    [
        ("MARIA", "MGR", False, True),  # MARIA GRAZIA
        ("MARIA", "MGR", True, False),
        ("MARIA", "MRA", True, True),
        ("GIAN", "GMR", False, True),  # GIAN MARCO: consonants G,N,M,R,C -> 1st, 3rd, 4th = GMR
        ("GIAN", "GNM", False, True),  # exactly three consonants after the extension: GN + M
        ("GIAN", "NMR", False, False),  # must start with G
        ("LUCA", "MGR", False, False),
        ("GIUSEPPE", "GPP", False, True),
        ("GIUSEPPE", "GSP", False, False),
    ],
)
def test_name_part_with_dropped_second_name(first, part, strict, ok):
    body = "RSS" + part + "84B51D612"
    info = parse_cf(body + check_char(body), today=TODAY)
    assert cf_consistency(info, None, first, strict_name=strict) is ok


def test_cf_mismatches_names_the_parts():
    checked, bad = cf_mismatches(parse_cf(MARIA, today=TODAY), "ROSSI", "LUCA", "M", date(2010, 9, 2), "D612")
    assert checked == ["surname", "name", "sex", "birth_date", "birthplace"]
    assert bad == ["name", "sex", "birth_date"]


@pytest.mark.parametrize(
    "typed, slip",
    [
        (date(1984, 1, 1), True),  # the 1 January default of unknown birth days, same year
        (date(1985, 1, 1), False),  # ... of another year
        (date(1984, 11, 2), True),  # day and month swapped
        (date(1984, 2, 12), True),  # the day wrong
        (date(1994, 2, 11), True),  # the year wrong
        (date(1984, 3, 12), False),  # two parts wrong
        (date(2010, 9, 2), False),  # her son's date
    ],
)
def test_birth_date_slip(typed, slip):
    assert birth_date_slip(typed, date(1984, 2, 11)) is slip


@pytest.mark.parametrize(
    "last, first, sex, born, place, own",
    [
        ("ROSSI", "MARIA", "F", date(1984, 1, 1), "D612", True),  # 1 January default: still her code
        ("ROSI", "MARIA", "F", date(1984, 11, 2), "D612", True),  # surname typo and swapped date
        ("ROSSI", "MARIA", "M", date(1984, 2, 11), "H501", True),  # wrong sex and birthplace typed
        ("ROSI", "MARIA", "M", date(1984, 2, 11), "H501", False),  # three parts disagree
        ("ROSSI", "LUCA", "M", date(2010, 9, 2), "D612", False),  # her son's record: another given name
        ("ROSSI", "MARIA", "F", date(2010, 9, 2), "D612", False),  # a daughter named after her: the date
        (None, None, None, None, None, None),  # nothing to check
    ],
)
def test_cf_is_own_allows_clerks_slips_not_relatives(last, first, sex, born, place, own):
    info = parse_cf(MARIA, today=TODAY)
    assert cf_is_own(info, last, first, sex, born, place, middle_names_norm="GRAZIA") is own
    if own:  # the strict check calls each of these a mismatch
        assert cf_consistency(info, last, first, sex, born, place, middle_names_norm="GRAZIA") is False


@pytest.mark.parametrize(
    "code, ok", [("12345678903", True), ("12345678901", False), ("00000000000", True), ("1234567890A", False)]
)
def test_partita_iva_check(code, ok):
    assert partita_iva_ok(code) is ok
