"""Names: matching form, display form, given-name split, one-field split, variant and phonetic keys."""

from __future__ import annotations

import math

import pytest

from schemas.standardise.names import (
    compact_name,
    display_name,
    given_names_joined,
    name_variant_key,
    normalise_name,
    normalise_surname,
    parse_given_names,
    phonetic_key,
    split_given_names,
    split_nominativo,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("NICCOLO'", "NICCOLO"),
        ("Niccolò", "NICCOLO"),
        ("niccolo`", "NICCOLO"),
        ("De Luca", "DELUCA"),
        ("DE LUCA", "DELUCA"),
        ("DeLuca", "DELUCA"),
        ("DELUCA", "DELUCA"),
        ("D'Angelo", "DANGELO"),
        ("D'ANGELO", "DANGELO"),
        ("D’Angelo", "DANGELO"),  # typographic apostrophe
        ("D' ANGELO", "DANGELO"),
        ("Della Rocca", "DELLAROCCA"),
        ("DELLA ROCCA", "DELLAROCCA"),
        ("Lo Russo", "LORUSSO"),
        ("Di Stefano", "DISTEFANO"),
        ("DELL'ACQUA", "DELLACQUA"),
        ("De La Cruz", "DELACRUZ"),
        ("EL AMRANI", "ELAMRANI"),
        ("Ait Benhaddou", "AITBENHADDOU"),  # Berber "sons of": the Moroccan compound surname
        ("  rossi  ", "ROSSI"),
        ("Rossi-Bianchi", "ROSSI BIANCHI"),
        ("GARCIA LOPEZ", "GARCIA LOPEZ"),
        ("Müller", "MULLER"),
        ("Nguyễn", "NGUYEN"),
        ("Łukasz", "LUKASZ"),
        ("ROSSI.", "ROSSI"),
        (None, None),
        ("", None),
        ("   ", None),
        (float("nan"), None),
        ("'", None),
    ],
)
def test_normalise_surname(raw, expected):
    assert normalise_surname(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Maria  Grazia", "MARIA GRAZIA"),
        ("josé", "JOSE"),
        ("DE LUCA", "DE LUCA"),  # no particle joining outside surnames
        (None, None),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("XIAO MING", "XIAOMING"),
        ("Garcia Lopez", "GARCIALOPEZ"),
        (None, None),
    ],
)
def test_compact_name(raw, expected):
    assert compact_name(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("DE LUCA", "De Luca"),
        ("de luca", "De Luca"),
        ("D'ANGELO", "D'Angelo"),
        ("D' ANGELO", "D'Angelo"),
        ("DELLA ROCCA", "Della Rocca"),
        ("NICCOLO'", "Niccolò"),
        ("NICCOLO", "Niccolò"),
        ("Niccolo'", "Niccolò"),
        ("niccolò", "Niccolò"),
        ("JOSE'", "José"),
        ("MARIA GRAZIA", "Maria Grazia"),
        ("DELL'ACQUA", "Dell'Acqua"),
        ("McBride", "McBride"),  # mixed case kept as typed
        ("EL AMRANI", "El Amrani"),
        ("PERUZZI-BIANCHI", "Peruzzi-Bianchi"),
        (None, None),
        ("", None),
    ],
)
def test_display_name(raw, expected):
    assert display_name(raw) == expected


@pytest.mark.parametrize(
    "raw, first, middle, joined",
    [
        ("MARIA GRAZIA", "MARIA", "GRAZIA", "MARIAGRAZIA"),
        ("Maria Grazia", "MARIA", "GRAZIA", "MARIAGRAZIA"),
        ("MARIA TERESA", "MARIA", "TERESA", "MARIATERESA"),
        ("Anna-Maria", "ANNA", "MARIA", "ANNAMARIA"),
        ("GIAN MARCO", "GIANMARCO", None, "GIANMARCO"),
        ("GIANMARCO", "GIANMARCO", None, "GIANMARCO"),
        ("Pier Paolo", "PIERPAOLO", None, "PIERPAOLO"),
        ("GIOVAN BATTISTA", "GIOVANBATTISTA", None, "GIOVANBATTISTA"),
        ("Gian Luca Maria", "GIANLUCA", "MARIA", "GIANLUCAMARIA"),
        ("NICCOLO'", "NICCOLO", None, "NICCOLO"),
        ("Luca", "LUCA", None, "LUCA"),
        ("XIAO MING", "XIAO", "MING", "XIAOMING"),
        (None, None, None, None),
        ("", None, None, None),
    ],
)
def test_given_names(raw, first, middle, joined):
    assert split_given_names(raw) == (first, middle)
    assert given_names_joined(raw) == joined


def test_given_names_display():
    g = parse_given_names("NICCOLO' MARIA")
    assert (g.first_name, g.middle_names) == ("Niccolò", "Maria")


# nominativo -> (last_name_norm, first_name_norm, middle_names_norm, ambiguous)
@pytest.mark.parametrize(
    "raw, last, first, middle, ambiguous",
    [
        ("ROSSI MARIA GRAZIA", "ROSSI", "MARIA", "GRAZIA", False),
        ("Maria Grazia Rossi", "ROSSI", "MARIA", "GRAZIA", False),  # swapped
        ("MARIO ROSSI", "ROSSI", "MARIO", None, False),  # swapped, all caps
        ("ROSSI Mario", "ROSSI", "MARIO", None, False),  # casing cue
        ("Mario ROSSI", "ROSSI", "MARIO", None, False),
        ("DE LUCA ANTONIO", "DELUCA", "ANTONIO", None, False),
        ("Antonio De Luca", "DELUCA", "ANTONIO", None, False),
        ("D'ANGELO GIUSEPPE", "DANGELO", "GIUSEPPE", None, False),
        ("DELLA ROCCA GIAN MARCO", "DELLAROCCA", "GIANMARCO", None, False),
        ("Gian Marco Della Rocca", "DELLAROCCA", "GIANMARCO", None, False),
        ("EL AMRANI Fatima", "ELAMRANI", "FATIMA", None, False),
        ("Fatima EL AMRANI", "ELAMRANI", "FATIMA", None, False),
        ("EL AMRANI FATIMA", "ELAMRANI", "FATIMA", None, False),
        ("AIT DOUM HAJAR", "AITDOUM", "HAJAR", None, False),
        ("Hajar Ait Doum", "AITDOUM", "HAJAR", None, False),
        ("Rossi, Mario", "ROSSI", "MARIO", None, False),
        ("ESPOSITO MARIA TERESA", "ESPOSITO", "MARIA", "TERESA", False),
        ("Olena Kovalenko", "KOVALENKO", "OLENA", None, False),
        ("ZHANG WEI", "ZHANG", "WEI", None, False),
        ("LI WEI", "LI", "WEI", None, False),
        ("Mamadou Diop", "DIOP", "MAMADOU", None, False),
        ("NICCOLAI NICCOLO'", "NICCOLAI", "NICCOLO", None, False),
        ("MOHAMED ALI", "MOHAMED", "ALI", None, True),  # both are given names and surnames
        ("KOWALSKI JAN", "KOWALSKI", "JAN", None, True),  # nothing known: usual order, flagged
        ("ROSSI", "ROSSI", None, None, False),
    ],
)
def test_split_nominativo(raw, last, first, middle, ambiguous):
    r = split_nominativo(raw)
    assert (r.last_name_norm, r.first_name_norm, r.middle_names_norm, r.ambiguous) == (last, first, middle, ambiguous)


def test_split_nominativo_alternative_reading():
    r = split_nominativo("MOHAMED ALI")
    assert r.ambiguous
    assert (r.alt_last_name_norm, r.alt_first_name_norm) == ("ALI", "MOHAMED")
    clear = split_nominativo("ROSSI MARIA GRAZIA")
    assert clear.alt_last_name_norm is None and clear.alt_first_name_norm is None


def test_split_nominativo_display():
    r = split_nominativo("DE LUCA NICCOLO'")
    assert (r.last_name, r.first_name) == ("De Luca", "Niccolò")


@pytest.mark.parametrize("raw", [None, "", "  ", math.nan, "''"])
def test_split_nominativo_blank(raw):
    r = split_nominativo(raw)
    assert r.last_name_norm is None and r.first_name_norm is None and not r.ambiguous


@pytest.mark.parametrize(
    "group",
    [
        ["Mohamed", "Mohammed", "Muhammad", "Mohammad", "MOHAMED", "Mohamad"],
        ["Olena", "Elena", "OLENA"],
        ["Iurii", "Yurii", "Yuri", "Jurij"],
        ["Aleksandr", "Alexandr", "Alexander", "Oleksandr"],
        ["Youssef", "Yousef", "Yusuf", "Youssouf"],
        ["Fatima", "Fatma", "FATIMA"],
        ["XIAO MING", "XIAOMING", "Xiao-Ming"],
        ["Niccolò", "NICCOLO'", "Nicolo"],
        ["Philippe", "Filippe"],
    ],
)
def test_name_variant_key_groups(group):
    keys = {name_variant_key(v) for v in group}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    "a, b",
    [
        ("Mario", "Marco"),
        ("Fatima", "Fatou"),
        ("Elena", "Alina"),
        ("Rossi", "Bianchi"),
    ],
)
def test_name_variant_key_keeps_distinct_names_apart(a, b):
    assert name_variant_key(a) != name_variant_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("DE LUCA", "DeLuca"),
        ("Niccolò", "NICOLO"),
        ("GIOVANNI", "Giovani"),
        ("Chiara", "KIARA"),
        ("Cecilia", "CECILIA"),
        ("Gnocchi", "Niocchi"),
    ],
)
def test_phonetic_key_equal(a, b):
    assert phonetic_key(a) == phonetic_key(b)


@pytest.mark.parametrize("a, b", [("Rossi", "Bianchi"), ("Chiara", "Ciara"), ("Gino", "Ghino")])
def test_phonetic_key_different(a, b):
    assert phonetic_key(a) != phonetic_key(b)


def test_keys_blank():
    assert name_variant_key(None) is None and phonetic_key("") is None and name_variant_key(math.nan) is None
