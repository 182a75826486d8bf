"""Keyed pseudonyms of ids for analysts: the read API's analyst view and the analysts' database schema.

Both must give the same pseudonym for the same id, so both use this one class: HMAC-SHA256 with the key
named by ``secrets.pseudonym_key_env``, over ``<kind>:<id>`` (kind ``beneficiary``, ``household``, ...), so
that equal ids of different kinds get unrelated pseudonyms. Stable for one key; not reversible without it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import overload

DEFAULT_PSEUDONYM_ENV = "FASE_PSEUDONYM_KEY"


class Pseudonymiser:
    """Keyed hashes of ids for analysts: stable for one key, not reversible without it."""

    def __init__(self, key: str | None):
        self._key = key.encode() if key else None

    @property
    def available(self) -> bool:
        return self._key is not None

    @overload
    def __call__(self, value: str, kind: str = "beneficiary") -> str: ...
    @overload
    def __call__(self, value: None, kind: str = "beneficiary") -> None: ...
    def __call__(self, value: str | None, kind: str = "beneficiary") -> str | None:
        """The pseudonym of `value` (None stays None)."""
        if value is None:
            return None
        if self._key is None:
            raise RuntimeError("no pseudonym key")
        return "p_" + hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def key_from_env(key_env: str | None = None) -> str | None:
    """The pseudonym key from the environment variable the configuration names (default FASE_PSEUDONYM_KEY)."""
    return os.environ.get(key_env or DEFAULT_PSEUDONYM_ENV) or None
