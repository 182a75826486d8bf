"""Entity tags of merged records, so that case systems can poll with ``If-None-Match`` and get 304 Not Modified.

The tag is a hash of the exact body served and of who it was served to (role and grants): it changes whenever
anything the caller sees changes (a published value, a fact, a pending version, a member of the household, a
redaction), and a copy fetched under one role or grant never validates another's. Computed after redaction,
so it costs the read but not the transfer; the answer carries ``Cache-Control: private, no-cache`` (a client
may keep its copy, but asks each time; shared caches keep nothing).
"""

from __future__ import annotations

import hashlib

from api.auth import Caller

CACHE_CONTROL = "private, no-cache"


def entity_tag(caller: Caller, body: bytes) -> str:
    """The strong entity tag of `body` as served to `caller`."""
    digest = hashlib.sha256(f"{caller.role}\0{','.join(sorted(caller.client.grants))}\0".encode() + body)
    return f'"{digest.hexdigest()[:32]}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (weak comparison, RFC 9110 13.1.2; ``*`` names any)."""
    if if_none_match.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == tag for t in if_none_match.split(","))
