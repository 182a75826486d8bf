"""Codice fiscale: clean, classify, verify, de-omocode, decode, and check against the record's own data.

A self-contained fast path (no slugify/dateutil per call, which python-codicefiscale's `decode` uses):
the check character, omocodia and date rules are the official ones (DM 12/03/1974, DPR 605/1973) and
the municipality/country lookup uses python-codicefiscale's bundled Belfiore tables, indexed once.

Status:
  missing      blank input
  valid        16 characters, well formed, check character right, no omocodic substitution
  omocodic     as valid, with letters LMNPQRSTUV in some of the 7 digit positions; `cf_base` is the
               code with those letters turned back into digits and the check character recomputed
  provisional  11 digits with a correct partita-IVA check digit (the numeric code given to people
               without a CF, e.g. in accounting)
  invalid      anything else (kept in `code`, flagged, not decoded)
A well-formed code whose Belfiore code is missing from the tables stays valid (the tables lag behind
new municipalities); `place_known` tells.
Century: the decoded year is the latest one not in the future (a `25` is 2025 in 2026); the typed
birth date in `cf_consistency` is compared on day, month and the two-digit year, century-agnostic.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from . import _belfiore
from ._text import is_blank

_MONTHS = "ABCDEHLMPRST"
_OMO_LETTERS = "LMNPQRSTUV"
_OMO_TO_DIGIT = str.maketrans(_OMO_LETTERS, "0123456789")
_OMO_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_ODD = {  # value of a character in an odd (1st, 3rd, ...) position
    **dict(zip("0123456789", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21))),
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        )
    ),
}
_EVEN = {**{str(i): i for i in range(10)}, **{c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}}

_CF_RE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
_SPACES = re.compile(r"[\s\-.]+")

VALID, OMOCODIC, INVALID, PROVISIONAL, MISSING = "valid", "omocodic", "invalid", "provisional", "missing"


@dataclass(frozen=True, slots=True)
class CFInfo:
    code: str | None  # cleaned: trimmed, upper case, spaces removed
    status: str  # valid | omocodic | invalid | provisional | missing
    cf_base: str | None = None  # de-omocoded 16-char code (valid and omocodic only)
    check_ok: bool | None = None  # check character verified (None when not applicable)
    sex: str | None = None
    birth_date: date | None = None
    birthplace_code: str | None = None
    place_known: bool | None = None  # birthplace code found in the Belfiore tables
    surname_part: str | None = None  # characters 1-3
    name_part: str | None = None  # characters 4-6
    reason: str | None = None  # why invalid

    @property
    def usable(self) -> bool:
        return self.status in (VALID, OMOCODIC)


def check_char(code15: str) -> str:
    """The check character of the first 15 characters."""
    total = 0
    for i, c in enumerate(code15[:15]):
        total += _ODD[c] if i % 2 == 0 else _EVEN[c]
    return chr(ord("A") + total % 26)


def partita_iva_ok(code11: str) -> bool:
    """Luhn-style check digit of an 11-digit partita IVA / provisional code."""
    if len(code11) != 11 or not code11.isdigit():
        return False
    s = 0
    for i, ch in enumerate(code11[:10]):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return (10 - s % 10) % 10 == ord(code11[10]) - 48


def clean_cf(raw: Any) -> str | None:
    """Trimmed, upper case, inner spaces/dashes/dots removed; None when blank."""
    if is_blank(raw):
        return None
    s = _SPACES.sub("", str(raw)).upper()
    return s or None


def _resolve_year(yy: int, month: int, day: int, today: date) -> date:
    year = 2000 + yy
    d = date(year, month, day)
    if d > today:
        d = date(year - 100, month, day)
    return d


@lru_cache(maxsize=500_000)
def _parse(code: str, today: date) -> CFInfo:
    n = len(code)
    if n == 11:
        if code.isdigit() and partita_iva_ok(code):
            return CFInfo(code, PROVISIONAL, check_ok=True)
        return CFInfo(
            code,
            INVALID,
            check_ok=False if code.isdigit() else None,
            reason="11 characters but not a numeric code with a valid check digit",
        )
    if n != 16:
        return CFInfo(code, INVALID, reason=f"length {n}, expected 16 (or 11 digits)")
    if not _CF_RE.match(code):
        return CFInfo(code, INVALID, reason="malformed")
    expected = check_char(code)
    if code[15] != expected:
        return CFInfo(code, INVALID, check_ok=False, reason=f"check character {code[15]!r}, expected {expected!r}")
    omocodic = any(code[i].isalpha() for i in _OMO_POSITIONS)
    if omocodic:
        chars = list(code)
        for i in _OMO_POSITIONS:
            chars[i] = chars[i].translate(_OMO_TO_DIGIT)
        base15 = "".join(chars[:15])
        base = base15 + check_char(base15)
    else:
        base = code
    yy = int(base[6:8])
    month = _MONTHS.index(base[8]) + 1
    day = int(base[9:11])
    sex = "M"
    if day > 40:
        day -= 40
        sex = "F"
    try:
        birth = _resolve_year(yy, month, day, today)
    except ValueError:
        try:  # 29 February of a year that is only a leap year one century earlier
            birth = date(1900 + yy, month, day)
        except ValueError:
            return CFInfo(code, INVALID, check_ok=True, reason=f"impossible birth date in code ({base[6:11]})")
    place = base[11:15]
    return CFInfo(
        code=code,
        status=OMOCODIC if omocodic else VALID,
        cf_base=base,
        check_ok=True,
        sex=sex,
        birth_date=birth,
        birthplace_code=place,
        place_known=_belfiore.place_for_code(place) is not None,
        surname_part=base[0:3],
        name_part=base[3:6],
    )


_MISSING = CFInfo(None, MISSING)


def parse_cf(raw: Any, *, today: date | None = None) -> CFInfo:
    """Clean, classify, verify and decode a codice fiscale (see the module docstring for statuses)."""
    code = clean_cf(raw)
    if code is None:
        return _MISSING
    return _parse(code, today or _today())


_today_cache: dict[str, Any] = {"date": None, "at": 0.0}


def _today() -> date:
    """date.today(), re-read at most once a minute (it is part of the decode cache key)."""
    now = time.monotonic()
    if _today_cache["date"] is None or now - _today_cache["at"] > 60:
        _today_cache["date"] = date.today()
        _today_cache["at"] = now
    return _today_cache["date"]


# ----------------------------------------------------------------------------- consistency
_VOWELS = frozenset("AEIOU")


@lru_cache(maxsize=200_000)
def surname_code(last_name_norm: str) -> str:
    """Characters 1-3 for a surname: consonants, then vowels, then X."""
    letters = [c for c in last_name_norm.upper() if "A" <= c <= "Z"]
    cons = [c for c in letters if c not in _VOWELS]
    vows = [c for c in letters if c in _VOWELS]
    return "".join((cons + vows + ["X", "X", "X"])[:3])


@lru_cache(maxsize=200_000)
def name_code(first_name_norm: str) -> str:
    """Characters 4-6 for given names: 1st, 3rd, 4th consonant when there are 4 or more."""
    letters = [c for c in first_name_norm.upper() if "A" <= c <= "Z"]
    cons = [c for c in letters if c not in _VOWELS]
    if len(cons) > 3:
        cons = [cons[0], cons[2], cons[3]]
    vows = [c for c in letters if c in _VOWELS]
    return "".join((cons + vows + ["X", "X", "X"])[:3])


def _extends_to(first_name_norm: str, part: str) -> bool:
    """Could `part` be the name code of `first_name_norm` followed by further, untyped given names?

    Records often drop second names (MARIA for MARIA GRAZIA, whose code is MGR, not MRA). With more
    names appended the consonant list grows: 3 consonants -> the first three; 4 or more -> the 1st,
    3rd and 4th. Positions not covered by the typed name are free."""
    cons = [c for c in first_name_norm.upper() if "A" <= c <= "Z" and c not in _VOWELS]
    if not cons or any(c in _VOWELS or c == "X" for c in part):
        return False
    if len(cons) < 3 and part[: len(cons)] == "".join(cons):
        return True  # exactly three consonants after extension
    picks = [cons[0], cons[2] if len(cons) > 2 else None, cons[3] if len(cons) > 3 else None]
    return all(p is None or p == q for p, q in zip(picks, part))


def cf_mismatches(
    info: CFInfo,
    last_name_norm: str | None = None,
    first_name_norm: str | None = None,
    sex: str | None = None,
    birth_date: date | None = None,
    birthplace_code: str | None = None,
    *,
    middle_names_norm: str | None = None,
    strict_name: bool = False,
) -> tuple[list[str], list[str]]:
    """(checked parts, disagreeing parts) among surname, name, sex, birth_date, birthplace."""
    checked: list[str] = []
    bad: list[str] = []
    if not info.usable:
        return checked, bad
    if not is_blank(last_name_norm):
        checked.append("surname")
        if surname_code(str(last_name_norm)) != info.surname_part:
            bad.append("surname")
    if not is_blank(first_name_norm):
        checked.append("name")
        candidates = {name_code(str(first_name_norm))}
        if not is_blank(middle_names_norm):
            candidates.add(name_code(f"{first_name_norm}{middle_names_norm}"))
        ok = info.name_part in candidates
        if not ok and not strict_name and is_blank(middle_names_norm):
            ok = _extends_to(str(first_name_norm), info.name_part or "")
        if not ok:
            bad.append("name")
    if sex in ("M", "F"):
        checked.append("sex")
        if sex != info.sex:
            bad.append("sex")
    if not is_blank(birth_date) and isinstance(birth_date, date):
        checked.append("birth_date")
        b = info.birth_date
        if b is None or (birth_date.day, birth_date.month, birth_date.year % 100) != (b.day, b.month, b.year % 100):
            bad.append("birth_date")
    if not is_blank(birthplace_code):
        checked.append("birthplace")
        if str(birthplace_code).upper() != info.birthplace_code:
            bad.append("birthplace")
    return checked, bad


def cf_consistency(
    info: CFInfo,
    last_name_norm: str | None = None,
    first_name_norm: str | None = None,
    sex: str | None = None,
    birth_date: date | None = None,
    birthplace_code: str | None = None,
    *,
    middle_names_norm: str | None = None,
    strict_name: bool = False,
) -> bool | None:
    """True if the code agrees with every typed part that can be checked; False if any part
    disagrees (e.g. a relative's code on the record); None if the code is not usable or nothing
    can be checked. The name part is accepted if it matches the first name alone or the first name
    with the middle names (the official rule encodes all given names: MARIA GRAZIA -> MGR); when no
    middle names are typed and `strict_name` is false, also if a dropped second name could explain
    it (MARIA with MGR: yes; LUCA with MGR: no)."""
    checked, bad = cf_mismatches(
        info,
        last_name_norm,
        first_name_norm,
        sex,
        birth_date,
        birthplace_code,
        middle_names_norm=middle_names_norm,
        strict_name=strict_name,
    )
    if not checked:
        return None
    return not bad


def birth_date_slip(typed: date, coded: date) -> bool:
    """Could a clerk have typed `typed` for the true `coded` date: the 1 January default of the same year,
    day and month swapped, or one of day, month and (two-digit) year wrong?"""
    t = (typed.day, typed.month, typed.year % 100)
    c = (coded.day, coded.month, coded.year % 100)
    if t[:2] == (1, 1) and t[2] == c[2]:
        return True
    if (t[1], t[0], t[2]) == c:
        return True
    return sum(a != b for a, b in zip(t, c)) == 1


def cf_is_own(
    info: CFInfo,
    last_name_norm: str | None = None,
    first_name_norm: str | None = None,
    sex: str | None = None,
    birth_date: date | None = None,
    birthplace_code: str | None = None,
    *,
    middle_names_norm: str | None = None,
) -> bool | None:
    """Can the code be the record's own, allowing for the clerk's slips in the typed data?

    False when the given-name part disagrees (a relative's code: a twin, a sibling, a spouse), when the
    birth date differs by more than a slip (`birth_date_slip`: a parent's or child's code), or when
    three or more parts disagree; a typo in the surname, a 1 January default, a wrong sex or
    birthplace alone do not make a code someone else's. None when nothing can be checked."""
    checked, bad = cf_mismatches(
        info, last_name_norm, first_name_norm, sex, birth_date, birthplace_code, middle_names_norm=middle_names_norm
    )
    if not checked:
        return None
    if "name" in bad or len(bad) > 2:
        return False
    if "birth_date" not in bad:
        return True
    # a disagreeing birth date was typed, and a usable code always carries one
    return birth_date is not None and info.birth_date is not None and birth_date_slip(birth_date, info.birth_date)
