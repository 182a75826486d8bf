"""Countries and citizenships -> ISO 3166-1 alpha-2; Belfiore codes -> ISO; free-text birthplaces.

Names are matched on their folded form (upper ASCII, punctuation -> space) against: pycountry's
English names and their Italian translations (gettext, pycountry.LOCALES_DIR), python-codicefiscale's
Italian country list, the alpha-2/alpha-3 codes, and a small alias table (common Italian names,
citizenship adjectives such as ROMENA/MAROCCHINO, historical names). Italian municipalities -> IT.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pycountry

from . import _belfiore
from ._text import as_text, fold_key

# Folded alias -> alpha-2. Only what pycountry + its Italian translation + the Belfiore list miss.
_ALIASES: dict[str, str] = {
    "CINA": "CN",
    "REPUBBLICA POPOLARE CINESE": "CN",
    "RPC": "CN",
    "CINA REPUBBLICA POPOLARE": "CN",
    "TAIWAN": "TW",
    "HONG KONG": "HK",
    "RUSSIA": "RU",
    "FEDERAZIONE RUSSA": "RU",
    "MOLDAVIA": "MD",
    "MOLDOVA": "MD",
    "REPUBBLICA MOLDAVA": "MD",
    "KOSOVO": "XK",
    "MACEDONIA": "MK",
    "EX REPUBBLICA JUGOSLAVA DI MACEDONIA": "MK",
    "BOSNIA": "BA",
    "BOSNIA ERZEGOVINA": "BA",
    "REPUBBLICA CECA": "CZ",
    "CECHIA": "CZ",
    "SLOVACCHIA": "SK",
    "INGHILTERRA": "GB",
    "GRAN BRETAGNA": "GB",
    "UK": "GB",
    "REGNO UNITO": "GB",
    "SCOZIA": "GB",
    "OLANDA": "NL",
    "PAESI BASSI": "NL",
    "STATI UNITI": "US",
    "STATI UNITI D AMERICA": "US",
    "USA": "US",
    "STATI UNITI DAMERICA": "US",
    "COREA DEL SUD": "KR",
    "COREA": "KR",
    "COREA DEL NORD": "KP",
    "IRAN": "IR",
    "SIRIA": "SY",
    "BOLIVIA": "BO",
    "VENEZUELA": "VE",
    "TANZANIA": "TZ",
    "VIETNAM": "VN",
    "LAOS": "LA",
    "CONGO": "CG",
    "REPUBBLICA DEMOCRATICA DEL CONGO": "CD",
    "CONGO KINSHASA": "CD",
    "CONGO BRAZZAVILLE": "CG",
    "COSTA D AVORIO": "CI",
    "COSTA DAVORIO": "CI",
    "BIRMANIA": "MM",
    "MYANMAR": "MM",
    "CAPO VERDE": "CV",
    "SRI LANKA": "LK",
    "CEYLON": "LK",
    "PERU": "PE",
    "SANTO DOMINGO": "DO",
    "REPUBBLICA DOMINICANA": "DO",
    "DOMINICANA REPUBBLICA": "DO",
    "PALESTINA": "PS",
    "TERRITORI PALESTINESI": "PS",
    "VATICANO": "VA",
    "SANTA SEDE": "VA",
    "SAN MARINO": "SM",
    "GERMANIA": "DE",
    "SVIZZERA": "CH",
    "ERITREA": "ER",
    "ETIOPIA": "ET",
    "GUINEA BISSAU": "GW",
    "GUINEA CONAKRY": "GN",
    "SUDAN DEL SUD": "SS",
    "EMIRATI ARABI UNITI": "AE",
    "TURCHIA": "TR",
    "TURKIYE": "TR",
    "YUGOSLAVIA": "RS",
    "JUGOSLAVIA": "RS",
    "SERBIA E MONTENEGRO": "RS",
    "UNIONE SOVIETICA": "RU",
    "URSS": "RU",
    "CECOSLOVACCHIA": "CZ",
    "GERMANIA EST": "DE",
    "REPUBBLICA DEMOCRATICA TEDESCA": "DE",
    "REPUBBLICA FEDERALE TEDESCA": "DE",
    "ITALY": "IT",
    "ITALIA": "IT",
    "REPUBBLICA ITALIANA": "IT",
}

# citizenship adjectives (feminine/masculine both generated), as typed in the cittadinanza fields
_ADJECTIVES: dict[str, str] = {
    "ITALIAN": "IT",
    "RUMEN": "RO",
    "ROMEN": "RO",
    "MAROCCHIN": "MA",
    "ALBANES": "AL",
    "CINES": "CN",
    "PERUVIAN": "PE",
    "FILIPPIN": "PH",
    "SENEGALES": "SN",
    "UCRAIN": "UA",
    "TUNISIN": "TN",
    "EGIZIAN": "EG",
    "NIGERIAN": "NG",
    "BANGLADES": "BD",
    "BENGALES": "BD",
    "PAKISTAN": "PK",
    "SRILANKES": "LK",
    "SINGALES": "LK",
    "INDIAN": "IN",
    "MOLDAV": "MD",
    "RUSS": "RU",
    "POLACC": "PL",
    "GEORGIAN": "GE",
    "SOMAL": "SO",
    "ERITRE": "ER",
    "ETIOP": "ET",
    "GHANES": "GH",
    "IVORIAN": "CI",
    "ECUADORIAN": "EC",
    "COLOMBIAN": "CO",
    "BRASILIAN": "BR",
    "ARGENTIN": "AR",
    "DOMINICAN": "DO",
    "CUBAN": "CU",
    "AFGHAN": "AF",
    "SIRIAN": "SY",
    "IRACHEN": "IQ",
    "IRANIAN": "IR",
    "TURC": "TR",
    "GAMBIAN": "GM",
    "MALIAN": "ML",
    "GUINEAN": "GN",
    "SERB": "RS",
    "KOSOVAR": "XK",
    "MACEDON": "MK",
    "BOSNIAC": "BA",
    "BULGAR": "BG",
    "SPAGNOL": "ES",
    "FRANCES": "FR",
    "TEDESC": "DE",
    "INGLES": "GB",
    "BRITANNIC": "GB",
    "STATUNITENS": "US",
    "AMERICAN": "US",
    "ALGERIN": "DZ",
    "LIBIC": "LY",
    "SUDANES": "SD",
    "CAMERUNENS": "CM",
    "TOGOLES": "TG",
    "BURKINAB": "BF",
    "IVORIAN ": "CI",
    "SALVADOREGN": "SV",
    "VENEZUELAN": "VE",
    "BOLIVIAN": "BO",
    "CILEN": "CL",
    "MESSICAN": "MX",
    "GIAPPONES": "JP",
    "COREAN": "KR",
    "VIETNAMIT": "VN",
    "THAILANDES": "TH",
    "NEPALES": "NP",
    "GRECA": "GR",
    "GREC": "GR",
    "PORTOGHES": "PT",
    "SVIZZER": "CH",
    "AUSTRIAC": "AT",
    "CROAT": "HR",
    "SLOVEN": "SI",
    "UNGHERES": "HU",
    "CECA": "CZ",
    "SLOVACC": "SK",
    "LITUAN": "LT",
    "LETTON": "LV",
    "ESTON": "EE",
    "BIELORUSS": "BY",
    "ARMEN": "AM",
    "AZERBAIGIAN": "AZ",
    "KAZAK": "KZ",
    "UZBEK": "UZ",
    "CAPOVERDIAN": "CV",
}
_ADJ_ENDINGS = ("A", "O", "E", "I", "")

# Belfiore Z-codes whose names pycountry does not know (historical states excluded on purpose)
_BELFIORE_EXTRA: dict[str, str] = {
    "Z530": "KY",
    "Z703": "CK",
    "Z108": "FO",
    "Z519": "TC",
    "Z520": "VI",
    "Z525": "VG",
    "Z729": "WF",
    "Z326": "LY",
    "Z148": "MK",
    "Z513": "MQ",
    "Z723": "PF",
    "Z403": "PM",
    "Z340": "SH",
    "Z106": "VA",
    "Z907": "SS",
    "Z161": "PS",
    "Z242": "TL",
}

_STATELESS = {"APOLIDE", "STATELESS", "SCONOSCIUTA", "SCONOSCIUTO", "NON NOTA", "ND", "N D", "NESSUNA"}


def _add(table: dict[str, str], name: str | None, a2: str) -> None:
    k = fold_key(name) if name else None
    if k and k not in table:
        table[k] = a2


@lru_cache(maxsize=1)
def _base_table() -> dict[str, str]:
    """Folded name -> alpha-2 from the aliases, pycountry (English + Italian) and the adjectives."""
    table: dict[str, str] = {}
    tr: Callable[[str], str]
    try:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["it"]).gettext
    except OSError:  # pragma: no cover - translations always ship with pycountry
        tr = lambda s: s  # noqa: E731
    for k, v in _ALIASES.items():
        key = fold_key(k)
        if key:  # every alias has letters
            table[key] = v
    for c in pycountry.countries:
        a2 = c.alpha_2
        table.setdefault(a2, a2)
        table.setdefault(c.alpha_3, a2)
        for attr in ("name", "official_name", "common_name"):
            n = getattr(c, attr, None)
            if not n:
                continue
            for variant in (n, tr(n)):
                _add(table, variant, a2)
                if "," in variant:  # 'Korea, Republic of' -> 'KOREA'
                    _add(table, variant.split(",")[0], a2)
    for stem, a2 in _ADJECTIVES.items():
        for end in _ADJ_ENDINGS:
            _add(table, stem.strip() + end, a2)
    return table


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    """The base table plus the Italian country names of the Belfiore list (e.g. 'STATO CITTA DEL VATICANO')."""
    table = dict(_base_table())
    for key, places in _belfiore.index().countries_by_name.items():
        a2 = belfiore_to_iso2(places[-1].code)
        if a2 and key not in table:
            table[key] = a2
    return table


@lru_cache(maxsize=1)
def _belfiore_iso_table() -> dict[str, str]:
    """Z-code -> alpha-2, from the library's English/Italian names looked up in the base table."""
    base = _base_table()
    out: dict[str, str] = dict(_BELFIORE_EXTRA)
    for code, places in _belfiore.index().by_code.items():
        if not code.startswith("Z") or code in out:
            continue
        for p in reversed(places):
            for n in (p.name_en, p.name):
                k = fold_key(n) if n else None
                if k and k in base:
                    out[code] = base[k]
                    break
            if code in out:
                break
    return out


@lru_cache(maxsize=10_000)
def belfiore_to_iso2(code: Any) -> str | None:
    """ISO alpha-2 for a Belfiore code: Z-codes via the country table, Italian municipalities -> IT."""
    s = as_text(code)
    if s is None:
        return None
    s = s.upper()
    if len(s) != 4 or not s[0].isalpha() or not s[1:].isdigit():
        return None
    if s[0] == "Z":
        return _belfiore_iso_table().get(s)
    return "IT" if _belfiore.place_for_code(s) is not None else None


@lru_cache(maxsize=10_000)
def country_to_iso2(value: Any) -> str | None:
    """ISO 3166-1 alpha-2 from a country/citizenship in Italian or English, any case, or an ISO code."""
    k = fold_key(value)
    if k is None or k in _STATELESS:
        return None
    table = _country_table()
    hit = table.get(k) or table.get(k.replace(" ", ""))
    if hit:
        return hit
    if k.startswith("REPUBBLICA "):  # 'REPUBBLICA DI ...', 'REPUBBLICA DEL ...'
        rest = k.split(" ", 1)[1]
        for prefix in ("DI ", "DEL ", "DELLA ", "DELL ", "D "):
            if rest.startswith(prefix):
                rest = rest[len(prefix) :]
        return table.get(rest)
    return None


@lru_cache(maxsize=50_000)
def birthplace(raw: Any) -> tuple[str | None, str | None, str | None]:
    """(matching form, Belfiore code or None, ISO alpha-2 or None) of a free-text birthplace.

    Italian municipality ("Firenze", "FIRENZE (FI)") -> (FIRENZE, D612, IT); a country ("ROMANIA")
    -> (ROMANIA, Z129, RO); anything else, e.g. a foreign city ("Casablanca") -> (CASABLANCA, None, None).
    A municipality name shared by several current municipalities gets code None but country IT.
    """
    s = as_text(raw)
    if s is None:
        return (None, None, None)
    s = s.split("(")[0]  # 'FIRENZE (FI)'
    k = fold_key(s)
    if k is None:
        return (None, None, None)
    if len(k) > 3 and k[-3] == " " and k[-2:].isalpha():  # 'FIRENZE FI'
        head = k[:-3]
        if _belfiore.is_municipality_name(head) and not _belfiore.is_municipality_name(k):
            k = head
    if _belfiore.is_municipality_name(k):
        return (k, _belfiore.municipality_code(k), "IT")
    z = _belfiore.country_code(k)
    iso = country_to_iso2(k)
    if z is None and iso is not None:  # e.g. 'CINA': find the Z-code through the ISO code
        z = _iso_to_belfiore().get(iso)
    if z is not None:
        return (k, z, iso or belfiore_to_iso2(z))
    if iso is not None:
        return (k, None, iso)
    return (k, None, None)


@lru_cache(maxsize=1)
def _iso_to_belfiore() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, a2 in _belfiore_iso_table().items():
        p = _belfiore.place_for_code(code)
        if a2 not in out or (p is not None and p.active):
            out[a2] = code
    return out
