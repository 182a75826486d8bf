"""Sex: M/F/male/female/maschio/femmina/... -> 'M', 'F' or None (other, unknown, blank)."""

from __future__ import annotations

from typing import Any

from ._text import is_blank

_MAP = {
    "M": "M",
    "MALE": "M",
    "MASCHIO": "M",
    "MASCHILE": "M",
    "UOMO": "M",
    "MAN": "M",
    "MASC": "M",
    "F": "F",
    "FEMALE": "F",
    "FEMMINA": "F",
    "FEMMINILE": "F",
    "DONNA": "F",
    "WOMAN": "F",
    "FEMM": "F",
}


def normalise_sex(value: Any) -> str | None:
    """'M' or 'F' for the usual spellings in Italian and English (any case); None for other/unknown/blank."""
    if is_blank(value) or not isinstance(value, str):
        return None
    return _MAP.get(value.strip().upper().rstrip("."))
