"""Addresses -> toponym / street / number / postcode / municipality, in matching form.

Two entry points: `address_from_parts` for anagrafe's split columns (TOPONIMO, INDIRIZZO, CIVICO,
CAP) and `parse_address` for one free-text line ("V.le Morgagni 33, 50134 Firenze",
"P.zza della Signoria 1/r Firenze"). Both return the same `Address`.

Matching form of the street: upper ASCII, punctuation and apostrophes -> space, and the saint words
SAN / SANTO / SANTA / SANT' / S. all folded to `S` (Borgo S. Frediano == BORGO SAN FREDIANO ->
street "S FREDIANO"), because the abbreviation cannot be expanded reliably (S. Croce is SANTA).
House numbers: Florence red (commercial) numbers `12/R`, `12r`, `12 rosso` -> `12R`; letters
`12/A`, `12 a`, `12A` -> `12A`; `bis`/`ter` kept as suffix (`12BIS`); other slashes kept (`3/1`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._text import as_text, fold, is_blank

# abbreviation (dots removed, upper case) -> canonical toponym
_TOPONYMS: dict[str, str] = {}
for canon, variants in {
    "VIA": ["VIA", "V"],
    "VIALE": ["VIALE", "VLE", "V LE"],
    "PIAZZA": ["PIAZZA", "PZZA", "PZA", "PZ", "P ZZA", "P ZA", "PIAZ"],
    "PIAZZALE": ["PIAZZALE", "PLE", "P LE", "PZLE", "PZALE"],
    "PIAZZETTA": ["PIAZZETTA", "PTTA", "P TTA"],
    "BORGO": ["BORGO", "BGO", "B GO"],
    "LARGO": ["LARGO", "LGO", "L GO"],
    "LUNGARNO": ["LUNGARNO", "LNO", "LUNGNO", "LGARNO", "LUNG", "LUNGARNI"],
    "CORSO": ["CORSO", "CSO", "C SO"],
    "VICOLO": ["VICOLO", "VIC", "VLO", "V LO", "VCLO"],
    "VIUZZO": ["VIUZZO"],
    "VIALETTO": ["VIALETTO"],
    "STRADA": ["STRADA", "STR"],
    "LOCALITA": ["LOCALITA", "LOC", "LOCALITÀ"],
    "COSTA": ["COSTA"],
    "SDRUCCIOLO": ["SDRUCCIOLO"],
    "CHIASSO": ["CHIASSO"],
    "SALITA": ["SALITA"],
    "GALLERIA": ["GALLERIA", "GALL"],
    "CANTO": ["CANTO"],
}.items():
    for v in variants:
        _TOPONYMS[v.replace(" ", "")] = canon
TOPONYMS = frozenset(_TOPONYMS.values())

_SAINT = frozenset({"SAN", "SANTO", "SANTA", "SANT", "S", "SS"}) - {"SS"}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_CAP = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_NUM = re.compile(
    r"(?<![A-Z0-9/])(?:N\.?\s*|N°\s*|NR\.?\s*)?"
    r"(\d{1,4})(\s*/\s*[A-Z0-9]{1,4}|\s*(?:ROSSO|ROSSA|BIS|TER)\b|\s+R\b|[A-Z]{1,3}\b)?"
    r"(?![0-9])"
)
_PROVINCE_PAREN = re.compile(r"\(\s*[A-Z]{2}\s*\)")
# flat / staircase / floor details after the house number: dropped (not part of the canonical address)
_UNIT_DETAIL = re.compile(r"[\s,]+(?:INT|INTERNO|SC|SCALA|PIANO|APP|APPARTAMENTO|PAL|PALAZZINA)\b\.?\s*[A-Z0-9]{0,4}\b")


@dataclass(frozen=True, slots=True)
class Address:
    toponym: str | None = None
    street: str | None = None
    number: str | None = None
    postcode: str | None = None
    municipality: str | None = None


def _words(s: str) -> list[str]:
    return [w for w in _NON_ALNUM.sub(" ", fold(s)).split() if w]


@lru_cache(maxsize=100_000)
def _street(s: str) -> str | None:
    words = ["S" if w in _SAINT else w for w in _words(s)]
    return " ".join(words) or None


def normalise_street(value: Any) -> str | None:
    """Street name, matching form: "dei Neri" -> 'DEI NERI', 'S. Frediano' -> 'S FREDIANO'."""
    s = as_text(value)
    return None if s is None else _street(s)


def normalise_toponym(value: Any) -> str | None:
    """'V.le' -> VIALE, 'P.zza' -> PIAZZA, 'B.go' -> BORGO ...; an unknown word is kept folded."""
    s = as_text(value)
    if s is None:
        return None
    k = "".join(_words(s))
    return _TOPONYMS.get(k, " ".join(_words(s)) or None)


@lru_cache(maxsize=100_000)
def _number(s: str) -> str | None:
    f = fold(s).strip()
    m = re.fullmatch(r"(?:N\.?\s*|NR\.?\s*)?(\d{1,5})\s*(.*)", f)
    if not m:
        w = "".join(_words(f))
        return None if w in ("", "SNC", "SN") else w
    num, suffix = m.group(1).lstrip("0") or "0", m.group(2).strip()
    suffix = suffix.lstrip("/").strip()
    if suffix in ("", "NERO"):
        return num
    if suffix in ("R", "ROSSO", "ROSSA", "RR"):
        return num + "R"
    if re.fullmatch(r"[A-Z]{1,3}", suffix):
        return num + suffix
    if re.fullmatch(r"\d{1,4}", suffix):
        return f"{num}/{suffix}"
    return num + "".join(_words(suffix))


def normalise_house_number(value: Any) -> str | None:
    """'12/R', '12r', '12 rosso' -> '12R'; '12/A', '12a' -> '12A'; '3/1' -> '3/1'; 'SNC' -> None."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = as_text(value)
    return None if s is None else _number(s)


def normalise_postcode(value: Any) -> str | None:
    """A 5-digit CAP (an integer that lost its leading zero is padded), else None."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = re.sub(r"\s+", "", str(value))
    if s.isdigit() and 3 <= len(s) <= 5:
        return s.zfill(5)
    return None


@lru_cache(maxsize=50_000)
def _municipality(s: str) -> str | None:
    f = _PROVINCE_PAREN.sub(" ", fold(s))
    words = _words(f)
    if len(words) > 1 and len(words[-1]) == 2 and words[-1] not in ("DI", "DA", "IN", "AL"):
        words = words[:-1]  # 'FIRENZE FI'
    return " ".join(words) or None


def normalise_municipality(value: Any) -> str | None:
    """'Firenze', 'FIRENZE (FI)', 'firenze fi' -> 'FIRENZE'."""
    s = as_text(value)
    return None if s is None else _municipality(s)


def address_from_parts(
    toponimo: Any = None, indirizzo: Any = None, civico: Any = None, cap: Any = None, comune: Any = None
) -> Address:
    """An Address from split columns (anagrafe). A toponym left inside the street is moved out."""
    top = normalise_toponym(toponimo)
    street_txt = as_text(indirizzo)
    if top is None and street_txt is not None:
        t2, rest = _split_toponym(fold(street_txt))
        if t2 is not None:
            top, street_txt = t2, rest
    return Address(
        top,
        normalise_street(street_txt),
        normalise_house_number(civico),
        normalise_postcode(cap),
        normalise_municipality(comune),
    )


def _split_toponym(f: str) -> tuple[str | None, str]:
    """Take a toponym (full or abbreviated) off the start of a folded string."""
    m = re.match(r"\s*([A-Z]+(?:\s*\.\s*[A-Z]+)?)\s*\.?\s*(.*)$", f, re.S)
    if m:
        head = m.group(1)
        key = re.sub(r"[\s.]", "", head)
        if key in _TOPONYMS:
            return _TOPONYMS[key], m.group(2)
        # 'V.MORGAGNI': abbreviation glued to the street by a dot
        if "." in head:
            first = head.split(".")[0].strip()
            if first in _TOPONYMS:
                return _TOPONYMS[first], f[f.index(".") + 1 :]
    return None, f


@lru_cache(maxsize=100_000)
def _parse(s: str) -> Address:
    f = fold(s)
    postcode = municipality = None
    caps = list(_CAP.finditer(f))
    if caps:
        c = caps[-1]
        postcode = c.group(1)
        municipality = _municipality(f[c.end() :]) if f[c.end() :].strip(" ,-") else None
        if municipality is None:  # 'FIRENZE 50134' -> municipality before the CAP
            before = f[: c.start()]
            if "," in before:
                municipality = (
                    _municipality(before.rsplit(",", 1)[1]) if not _NUM.search(before.rsplit(",", 1)[1]) else None
                )
        f = f[: c.start()]
    toponym, rest = _split_toponym(f)
    rest = _UNIT_DETAIL.sub(" ", rest)
    nums = list(_NUM.finditer(rest))
    number = None
    if nums:
        m = nums[-1]
        if m.start() > 0 and rest[: m.start()].strip(" ,"):
            street_txt = rest[: m.start()]
            number = _number(m.group(0))
            tail = rest[m.end() :]
            if municipality is None and tail.strip(" ,-"):
                municipality = _municipality(tail)
        else:
            street_txt = rest
    else:
        street_txt = rest
        if municipality is None and "," in street_txt:
            street_txt, tail = street_txt.split(",", 1)
            municipality = _municipality(tail)
    return Address(toponym, _street(street_txt) if street_txt.strip(" ,") else None, number, postcode, municipality)


def parse_address(value: Any) -> Address:
    """Split a one-line free-text address; an empty Address for blank input."""
    s = as_text(value)
    return Address() if s is None else _parse(s)
