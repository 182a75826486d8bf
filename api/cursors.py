"""Opaque paging cursors: clients pass back what they got and must not build or parse them.

A cursor is ``base64url("<kind>:<position>")`` without padding; decoding checks the kind and the
shape strictly, so a forged or mangled cursor is a 400, never a query error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from api.errors import ApiError

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,400}$")


def encode(kind: str, position: list | int) -> str:
    raw = f"{kind}:{json.dumps(position, separators=(',', ':'))}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str) -> object:
    """The position inside a cursor of `kind`; ApiError(400) when it is not one we issued."""
    bad = ApiError(400, "invalid cursor: pass back a cursor returned by this endpoint")
    if not _SAFE.match(cursor):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, body = raw.partition(":")
        position = json.loads(body)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if found != kind:
        raise bad
    return position


def decode_seq(cursor: str | None) -> int:
    """Position of a change-feed cursor (0 when absent)."""
    if cursor is None:
        return 0
    seq = decode("changes", cursor)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**62:
        raise ApiError(400, "invalid cursor: pass back a cursor returned by this endpoint")
    return seq


def decode_key(cursor: str | None) -> tuple[str, str] | None:
    """Position of a crosswalk cursor: the last (source_system, source_person_id) served."""
    if cursor is None:
        return None
    key = decode("crosswalk", cursor)
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) and len(k) <= 64 for k in key)):
        raise ApiError(400, "invalid cursor: pass back a cursor returned by this endpoint")
    return key[0], key[1]


def decode_offset(cursor: str | None, limit: int) -> int:
    """Position of a search cursor: how many hits the earlier pages held (0 when absent)."""
    if cursor is None:
        return 0
    offset = decode("search", cursor)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= limit:
        raise ApiError(400, "invalid cursor: pass back a cursor returned by this endpoint")
    return offset
