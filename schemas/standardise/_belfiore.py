"""Cadastral (Belfiore) code index built once, lazily, from python-codicefiscale's bundled data.

The library's own index (`get_indexed_data`) slugifies ~19k names on first use; this one reads the
same JSON files directly and keeps only what the standardisers need.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

import codicefiscale as _cf_pkg

from ._text import fold_key

_DATA_DIR = os.path.join(os.path.dirname(_cf_pkg.__file__), "data")


def _load(name: str) -> list[dict]:
    with open(os.path.join(_DATA_DIR, name), encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str  # display name as in the data set
    province: str  # two-letter province, 'EE' for foreign countries
    active: bool
    name_en: str = ""  # countries only


@dataclass(frozen=True, slots=True)
class _Index:
    by_code: dict[str, tuple[Place, ...]]
    municipalities_by_name: dict[str, tuple[Place, ...]]
    countries_by_name: dict[str, tuple[Place, ...]]


@lru_cache(maxsize=1)
def index() -> _Index:
    by_code: dict[str, list[Place]] = {}
    muni: dict[str, list[Place]] = {}
    countries: dict[str, list[Place]] = {}
    for m in _load("municipalities.json"):
        p = Place(m["code"], m["name"], m["province"], bool(m["active"]))
        by_code.setdefault(p.code, []).append(p)
        keys = {fold_key(m["name"]), fold_key(m.get("name_trans") or ""), fold_key(m.get("name_alt") or "")}
        keys |= {fold_key(s.replace("-", " ")) for s in m.get("name_slugs", [])}
        for k in keys:
            if k is not None:
                muni.setdefault(k, []).append(p)
    for c in _load("deleted-countries.json") + _load("countries.json"):
        p = Place(c["code"], c["name"], "EE", bool(c["active"]), c.get("name_alt_en") or "")
        by_code.setdefault(p.code, []).append(p)
        keys = {fold_key(c["name"]), fold_key(c.get("name_alt") or ""), fold_key(c.get("name_alt_en") or "")}
        keys |= {fold_key(s.replace("-", " ")) for s in c.get("name_slugs", [])}
        for k in keys:
            if k is not None:
                countries.setdefault(k, []).append(p)
    return _Index(
        {k: tuple(v) for k, v in by_code.items()},
        {k: tuple(v) for k, v in muni.items()},
        {k: tuple(v) for k, v in countries.items()},
    )


@lru_cache(maxsize=20_000)
def place_for_code(code: str) -> Place | None:
    """The current (or most recent) place carrying this code, or None if unknown."""
    places = index().by_code.get(code)
    if not places:
        return None
    active = [p for p in places if p.active]
    return (active or list(places))[-1]


@lru_cache(maxsize=50_000)
def municipality_code(name_key: str) -> str | None:
    """Belfiore code of an Italian municipality from its folded name; None if unknown or ambiguous."""
    places = index().municipalities_by_name.get(name_key)
    if not places:
        return None
    codes = {p.code for p in places if p.active} or {p.code for p in places}
    return next(iter(codes)) if len(codes) == 1 else None


def is_municipality_name(name_key: str) -> bool:
    return name_key in index().municipalities_by_name


@lru_cache(maxsize=5_000)
def country_code(name_key: str) -> str | None:
    """Belfiore Z-code of a country from its folded Italian/English name."""
    places = index().countries_by_name.get(name_key)
    if not places:
        return None
    active = [p for p in places if p.active]
    return (active or list(places))[-1].code
