"""Test helpers for the matching tests: stg_person-shaped records, by hand or from a seeded generator.

`person_record(...)` fills the canonical columns directly (CF fields derived consistently);
`generate_population(n_people, seed)` makes people (households, twins, foreign names) and their
records across the five systems with typing accidents, with the truth in column `true_id`.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import numpy as np
import pandas as pd
from codicefiscale import codicefiscale as cfmod

from matching.comparators import cf_prefix
from schemas.canonical import STG_PERSON_COLUMNS

MALE = [
    "MARIO",
    "LUCA",
    "GIUSEPPE",
    "FRANCESCO",
    "ANDREA",
    "MARCO",
    "ALESSANDRO",
    "MATTEO",
    "LORENZO",
    "DAVIDE",
    "GIOVANNI",
    "STEFANO",
    "NICCOLO",
    "PAOLO",
    "ROBERTO",
    "SIMONE",
    "FABIO",
    "GIANLUCA",
    "MOHAMED",
    "AHMED",
    "YOUSSEF",
    "ION",
    "ANDREI",
    "OMAR",
    "KARIM",
    "ALI",
    "HASSAN",
    "DRAGOS",
    "CRISTIAN",
    "EMANUELE",
]
FEMALE = [
    "MARIA",
    "GIULIA",
    "FRANCESCA",
    "SARA",
    "LAURA",
    "ANNA",
    "CHIARA",
    "ELENA",
    "VALENTINA",
    "ALESSIA",
    "SILVIA",
    "FEDERICA",
    "MARTINA",
    "GIORGIA",
    "ELISA",
    "FATIMA",
    "AMINA",
    "IOANA",
    "ELENA",
    "MIHAELA",
    "KHADIJA",
    "NADIA",
    "ROBERTA",
    "CATERINA",
    "BEATRICE",
    "SOFIA",
    "AURORA",
    "GRAZIA",
    "LUCIA",
    "PAOLA",
]
SURNAMES = [
    "ROSSI",
    "BIANCHI",
    "ROMANO",
    "COLOMBO",
    "RICCI",
    "MARINO",
    "GRECO",
    "BRUNO",
    "GALLO",
    "CONTI",
    "DELUCA",
    "MANCINI",
    "COSTA",
    "GIORDANO",
    "RIZZO",
    "LOMBARDI",
    "MORETTI",
    "BARBIERI",
    "FONTANA",
    "SANTORO",
    "MARIANI",
    "RINALDI",
    "CARUSO",
    "FERRARA",
    "GALLI",
    "MARTINI",
    "LEONE",
    "LONGO",
    "GENTILE",
    "MARTINELLI",
    "VITALE",
    "LOMBARDO",
    "SERRA",
    "COPPOLA",
    "DESANTIS",
    "DANGELO",
    "MARCHETTI",
    "PARISI",
    "VILLA",
    "CONTE",
    "FERRARI",
    "ESPOSITO",
    "POPESCU",
    "IONESCU",
    "ELIDRISSI",
    "BENALI",
    "HADDAD",
    "NGUYEN",
    "KUMAR",
    "SINGH",
    "PETROV",
    "HOXHA",
    "BERISHA",
    "GASHI",
    "OKAFOR",
    "DIALLO",
    "TRAORE",
]
STREETS = [
    "ROMA",
    "GARIBALDI",
    "MAZZINI",
    "CAVOUR",
    "DANTE",
    "VERDI",
    "MATTEOTTI",
    "DEI NERI",
    "PISANA",
    "ARETINA",
    "BOLOGNESE",
    "SENESE",
    "FAENTINA",
    "DEL PRATO",
    "GHIBELLINA",
    "SAN GALLO",
]
VARIANTS = {
    "MOHAMED": ["MOHAMMED", "MOHAMMAD", "MUHAMMAD"],
    "YOUSSEF": ["YUSSEF", "YOUSEF"],
    "AHMED": ["AHMAD"],
    "FATIMA": ["FATMA"],
    "KHADIJA": ["KADIJA", "KHADIGIA"],
}
PLACES = [
    ("D612", "FIRENZE", "IT"),
    ("H501", "ROMA", "IT"),
    ("F205", "MILANO", "IT"),
    ("G702", "PISA", "IT"),
    ("Z129", "ROMANIA", "RO"),
    ("Z330", "MAROCCO", "MA"),
    ("Z100", "ALBANIA", "AL"),
    ("Z336", "EGITTO", "EG"),
]
SYSTEMS = ["sat", "anagrafe", "polis", "volontariato", "contabilita"]


# --------------------------------------------------------------------------- codice fiscale helpers
_CF_RE = re.compile(r"^[A-Z]{6}[0-9L-V]{2}[ABCDEHLMPRST][0-9L-V]{2}[A-Z][0-9L-V]{3}[A-Z]$")
_DIGIT_POS = (6, 7, 9, 10, 12, 13, 14)


def make_cf(last: str, first: str, sex: str, birth: dt.date, place: str) -> str:
    """The person's valid codice fiscale (same result as codicefiscale.encode, much faster)."""
    day = birth.day + (40 if sex == "F" else 0)
    body = (
        cfmod.encode_lastname(last)
        + cfmod.encode_firstname(first)
        + f"{birth.year % 100:02d}{'ABCDEHLMPRST'[birth.month - 1]}{day:02d}{place}"
    )
    return body + cfmod.encode_cin(body)


def cf_is_valid(code: str) -> bool:
    return bool(_CF_RE.match(code)) and cfmod.encode_cin(code[:15]) == code[15]


def cf_is_omocode(code: str) -> bool:
    return any(code[p].isalpha() for p in _DIGIT_POS)


def omocodic(code: str, n_subs: int = 1) -> str:
    """An omocodic spelling of a valid code: the last `n_subs` digits become letters, CIN recomputed."""
    letters = "LMNPQRSTUV"
    chars = list(code[:15])
    for p in (14, 13, 12, 10, 9, 7, 6)[:n_subs]:
        chars[p] = letters[int(chars[p])]
    body = "".join(chars)
    return body + cfmod.encode_cin(body)


def base_of(code: str) -> str:
    body = cf_prefix(code, 15)
    return body + cfmod.encode_cin(body)


# --------------------------------------------------------------------------- one record
def person_record(
    *,
    rid=None,
    system="sat",
    first=None,
    last=None,
    middle=None,
    sex=None,
    birth=None,
    birth_default=False,
    place=None,
    cf: str | None | bool = True,
    cf_of: dict | None = None,
    phone=None,
    street=None,
    number=None,
    postcode="50100",
    household=None,
    iban=None,
    alt_first=None,
    alt_last=None,
    true_id=None,
) -> dict:
    """A stg_person row with the canonical columns filled.

    cf=True computes the person's own valid code from the typed data; a string uses that code as
    given (status and consistency derived); None leaves it missing. `cf_of` (a dict of last, first,
    sex, birth, place) computes the code of *another* person (a relative's code copied).
    """
    place = place or PLACES[0]
    row = {c: None for c in STG_PERSON_COLUMNS}
    row.update(
        {
            "source_system": system,
            "source_person_id": None if rid is None else str(rid),
            "first_name": first.title() if first else None,
            "last_name": last.title() if last else None,
            "first_name_norm": first,
            "middle_names_norm": middle,
            "last_name_norm": last,
            "alt_first_name_norm": alt_first,
            "alt_last_name_norm": alt_last,
            "name_split_ambiguous": alt_first is not None,
            "sex": sex,
            "birth_date": birth,
            "birth_date_is_default": bool(birth_default),
            "birthplace_code": place[0],
            "birthplace_norm": place[1],
            "birth_country": place[2],
            "phone": phone,
            "address_toponym": "VIA" if street else None,
            "address_street": street,
            "address_number": number,
            "address_postcode": postcode if street else None,
            "address_municipality": "FIRENZE" if street else None,
            "iban_hash": iban,
            "household_key": household,
            "true_id": true_id,
        }
    )
    code = None
    if cf_of is not None:
        code = make_cf(cf_of["last"], cf_of["first"], cf_of["sex"], cf_of["birth"], cf_of["place"][0])
    elif cf is True:
        if first and last and sex and birth:
            code = make_cf(last, first, sex, birth, place[0])
    elif isinstance(cf, str):
        code = cf
    row["codice_fiscale"] = code
    if code is None:
        row["cf_status"] = "missing"
    elif code.isdigit():
        row["cf_status"] = "provisional"
    elif cf_is_valid(code):
        row["cf_status"] = "omocodic" if cf_is_omocode(code) else "valid"
        row["cf_base"] = base_of(code)
    else:
        row["cf_status"] = "invalid"
    if row["cf_base"]:
        # as the standardiser does: a placeholder date is not evidence, check the name part only
        typed = make_cf(last, first, sex, birth, place[0])[:11] if (last and first and sex and birth) else None
        n = 6 if birth_default else 11
        row["cf_consistent"] = None if typed is None else bool(typed[:n] == cf_prefix(row["cf_base"], 11)[:n])
    return row


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.index = [r["source_person_id"] or f"r{k}" for k, r in enumerate(rows)]
    df.index.name = "record_id"
    return df


# --------------------------------------------------------------------------- generator
def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    k = rng.randrange(1, len(s))
    op = rng.random()
    if op < 0.4:
        return s[:k] + rng.choice("AEIOURNLST") + s[k + 1 :]
    if op < 0.7:
        return s[:k] + s[k + 1 :]
    if k < len(s) - 1:
        return s[:k] + s[k + 1] + s[k] + s[k + 2 :]
    return s + s[-1]


def synthetic_surnames(n: int, seed: int = 0) -> list[str]:
    """`n` distinct made-up Italian-looking surnames (for big, realistic-diversity frames)."""
    rng = random.Random(seed)
    a = [
        "BAR",
        "COR",
        "FAL",
        "GUI",
        "LAM",
        "MAN",
        "NER",
        "PAL",
        "ROS",
        "SAL",
        "TAR",
        "VAL",
        "ZAN",
        "BEL",
        "CAS",
        "DON",
        "FER",
        "GAL",
        "MOR",
        "PER",
        "SCA",
        "TOR",
        "VEN",
        "BON",
        "CIA",
        "MAR",
        "PIC",
        "RIN",
        "SER",
        "TOS",
    ]
    b = ["TO", "DI", "LI", "NE", "RA", "CHI", "GLI", "ZZI", "NA", "RO", "LA", "VI", "SE", "TI", "BI", "MI", ""]
    c = ["NI", "LLI", "TTI", "RI", "SSI", "NO", "TO", "LO", "NE", "RA", "LDI", "CCI", "ZZO", "GNI", "ANI"]
    d = ["", "A", "E", "I", "O"]  # second element doubles the space: 30*17*15*5*17 combinations
    n = min(n, len(a) * len(b) * len(c) * len(d) * len(b))
    out: set[str] = set()
    while len(out) < n:
        out.add(
            rng.choice(a)
            + rng.choice(b)
            + rng.choice(c)
            + (rng.choice(d) + rng.choice(b) if rng.random() < 0.7 else "")
        )
    return sorted(out)


def generate_population(
    n_people: int = 300, seed: int = 0, dup_mean: float = 1.2, extra_surnames: int = 0
) -> pd.DataFrame:
    """People in households (with twins), each with 1..n records over the systems, typos included."""
    rng = random.Random(seed)
    surnames = SURNAMES + (synthetic_surnames(extra_surnames, seed) if extra_surnames else [])
    people: list[dict] = []
    while len(people) < n_people:
        people += _household(rng, surnames, first_pid=len(people))
    rows = []
    for p in people[:n_people]:
        rows += _person_records(rng, p, seed, dup_mean)
    return frame(rows)


def _household(rng: random.Random, surnames: list[str], first_pid: int) -> list[dict]:
    """The people of one household: one surname, address and phone; distinct first names; maybe twins."""
    last = rng.choice(surnames)
    street, number = rng.choice(STREETS), str(rng.randint(1, 120))
    phone = f"+39333{rng.randint(1000000, 9999999)}"
    hh = f"anagrafe:F-{rng.randint(10000, 99999)}"
    size = rng.choice([1, 1, 1, 2, 2, 3, 4])
    twin_date = None
    hh_firsts: set[str] = set()
    people = []
    for k in range(size):
        sex = rng.choice("MF")
        first = rng.choice(MALE if sex == "M" else FEMALE)
        if first in hh_firsts:
            first = rng.choice(MALE if sex == "M" else FEMALE)
        hh_firsts.add(first)
        if k == 1 and size >= 3 and rng.random() < 0.5 and twin_date is not None:
            birth = twin_date  # twins
        else:
            birth = dt.date(rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28))
        twin_date = birth if k == 0 else twin_date
        place = rng.choice(PLACES)
        middle = rng.choice(FEMALE if sex == "F" else MALE) if rng.random() < 0.1 else None
        people.append(
            {
                "pid": first_pid + k,
                "first": first,
                "last": last,
                "middle": middle,
                "sex": sex,
                "birth": birth,
                "place": place,
                "street": street,
                "number": number,
                "phone": phone,
                "household": hh,
            }
        )
    return people


def _person_records(rng: random.Random, p: dict, seed: int, dup_mean: float) -> list[dict]:
    """One person's records over 1..5 systems; every record after the first may carry typing accidents."""
    n_rec = 1 + min(4, int(np.random.default_rng(seed * 100003 + p["pid"]).poisson(dup_mean)))
    rows = []
    for r, system in enumerate(rng.sample(SYSTEMS, n_rec)):
        first, last, middle = p["first"], p["last"], p["middle"]
        birth, default = p["birth"], False
        if r > 0:  # duplicates get accidents
            first, last, middle = _name_accident(rng, first, last, middle)
            birth, default = _birth_accident(rng, birth)
        code = make_cf(p["last"], p["first"], p["sex"], p["birth"], p["place"][0])
        rows.append(
            person_record(
                rid=f"{system[:3]}-{p['pid']}-{r}",
                system=system,
                first=first,
                last=last,
                middle=middle,
                sex=p["sex"],
                birth=birth,
                birth_default=default,
                place=p["place"],
                cf=_typed_cf(rng, system, code),
                phone=p["phone"] if rng.random() < 0.6 else None,
                street=p["street"] if rng.random() < 0.8 else None,
                number=p["number"],
                household=p["household"] if system == "anagrafe" else None,
                true_id=p["pid"],
            )
        )
    return rows


def _name_accident(rng: random.Random, first: str, last: str, middle: str | None) -> tuple[str, str, str | None]:
    """A typo in a name, a spelling variant, first and last swapped, or a second name dropped (or none)."""
    u = rng.random()
    if u < 0.15:
        first = _typo(rng, first)
    elif u < 0.25:
        last = _typo(rng, last)
    elif u < 0.30 and first in VARIANTS:
        first = rng.choice(VARIANTS[first])
    elif u < 0.35:
        first, last = last, first
    elif u < 0.38:
        middle = None
    return first, last, middle


def _birth_accident(rng: random.Random, birth: dt.date) -> tuple[dt.date, bool]:
    """Day and month swapped, a day off, or a 1 January placeholder (flagged as default), or none."""
    v = rng.random()
    if v < 0.05:
        return (dt.date(birth.year, birth.day, birth.month) if birth.day <= 12 else birth), False
    if v < 0.10:
        return dt.date(birth.year, birth.month, min(28, birth.day + 1)), False
    if v < 0.13:
        return dt.date(birth.year, 1, 1), True
    return birth, False


def _typed_cf(rng: random.Random, system: str, code: str) -> str | None:
    """The code as a record carries it: none (always in volontariato), omocodic, one character wrong, or as is."""
    w = rng.random()
    if system == "volontariato" or w < 0.25:
        return None
    if w < 0.30:
        return omocodic(code)
    if w < 0.34:
        k = rng.randrange(0, 15)
        return code[:k] + ("X" if code[k] != "X" else "Y") + code[k + 1 :]
    return code


def test_generator_is_deterministic_and_canonical():
    a = generate_population(50, seed=3)
    b = generate_population(50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert set(STG_PERSON_COLUMNS) <= set(a.columns)
    assert a["true_id"].nunique() == 50
    assert (a.groupby("true_id")["source_system"].apply(lambda s: (s == "anagrafe").sum()) <= 1).all()
