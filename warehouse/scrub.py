"""Errors as they may be stored and shown: one summarised line, without SQL, parameters or personal data.

A database error carries the statement, its bound parameters (names, codes, addresses of the batch being
written) and the server's DETAIL line (the key values of a violated constraint). `summarise_error` keeps
the exception type and the first line of the server's message; `scrub` masks what still looks like
personal data (codici fiscali, IBANs, e-mail addresses, phone numbers) in any text.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

MAX_CHARS = 500
_PATTERNS = (
    (re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"), "[iban]"),
    (re.compile(r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b", re.I), "[cf]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"(?<![\w.])\+?\d[\d /.-]{7,}\d(?![\w.])"), "[number]"),
)
_SQL_TAIL = re.compile(r"\s*(\[SQL:|\[parameters:|\(Background on this error).*", re.S)


def scrub(text: str) -> str:
    """`text` with personal-looking values masked, control characters removed, at most MAX_CHARS long."""
    for pattern, mask in _PATTERNS:
        text = pattern.sub(mask, text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def summarise_error(exc: BaseException) -> str:
    """`Type: first line of the message`, scrubbed; for database errors the driver's message without the
    statement, its parameters or the DETAIL line."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        kind = f"{type(exc).__name__} ({type(exc.orig).__name__})"
        message = str(exc.orig)
    else:
        kind, message = type(exc).__name__, str(exc)
    message = _SQL_TAIL.sub("", message)
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return scrub(f"{kind}: {first}" if first else kind)
