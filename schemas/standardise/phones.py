"""Phone numbers -> E.164 ('+393331234567') with `phonenumbers`, default region IT; invalid -> None.

Separators (spaces, '/', '-', '.', parentheses) are ignored; '0039' and '+39' prefixes are both
international; a number that `phonenumbers` does not consider valid for its region returns None.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers

from ._text import is_blank

DEFAULT_REGION = "IT"


@lru_cache(maxsize=200_000)
def _e164(s: str, region: str) -> str | None:
    try:
        n = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: Any, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a phone number typed in any format; None when blank or invalid."""
    if is_blank(value):
        return None
    s = str(value).strip()
    if isinstance(value, (int, float)):  # a number read from a spreadsheet-like source
        s = str(int(value))
    if len(s) > 40:
        return None
    return _e164(s, region)
