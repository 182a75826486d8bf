"""Shared text helpers: blank detection and accent folding (used by every standardiser)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# letters that NFKD does not decompose into base + combining mark
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ı": "i",
        "Þ": "TH",
        "þ": "th",
        "Ð": "D",
        "ð": "d",
        # apostrophe look-alikes -> ASCII apostrophe
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u02bc": "'",
        "\u2032": "'",
        # dash look-alikes -> hyphen
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)

_WS = re.compile(r"\s+")


def is_blank(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and empty or whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value  # NaN
    name = type(value).__name__
    if name in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # numpy nan and friends
    except (TypeError, ValueError):
        return False


def as_text(value: Any) -> str | None:
    """The value as a stripped string with collapsed whitespace, or None when blank."""
    if is_blank(value):
        return None
    s = value if isinstance(value, str) else str(value)
    s = _WS.sub(" ", s.translate(_SPECIAL)).strip()
    return s or None


@lru_cache(maxsize=200_000)
def fold(s: str) -> str:
    """Upper case, accents removed (Niccolò -> NICCOLO), apostrophe/dash look-alikes unified."""
    s = s.translate(_SPECIAL)
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s.upper()


_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")


def fold_key(value: Any) -> str | None:
    """Folded matching form of a free-text value: upper ASCII, punctuation -> space, spaces collapsed."""
    s = as_text(value)
    if s is None:
        return None
    s = _WS.sub(" ", _NON_ALNUM.sub(" ", fold(s))).strip()
    return s or None
