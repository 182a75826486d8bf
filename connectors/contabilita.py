"""Contabilità connector: SQL (PostgreSQL in production), watermark on `dt_agg`.

Status changes bring the same `id_erogazione` back with a new `stato`: each becomes a version in
the raw layer, so the history determinato -> liquidato -> pagato / revocato is kept. Amounts stay
exact decimals (JSON strings). The IBAN is replaced at the door by a keyed hash (HMAC-SHA256,
key from the environment): nothing else of it is kept.
"""

from __future__ import annotations

import hashlib
import hmac

from configuration import HubConfig, require_env
from connectors.base import Stream
from connectors.sql_source import SqlStream
from warehouse.db import make_engine


def iban_hash(iban: str | None, key: bytes) -> str | None:
    """Keyed hash of a normalised IBAN (upper case, no spaces); None for an empty IBAN."""
    if iban is None or not str(iban).strip():
        return None
    normalised = "".join(str(iban).split()).upper()
    return hmac.new(key, normalised.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def minimise_soggetto(key: bytes):
    def transform(payload: dict) -> dict:
        payload = dict(payload)
        payload["iban_hash"] = iban_hash(payload.pop("iban", None), key)
        return payload

    return transform


def streams(cfg: HubConfig, **_) -> list[Stream]:
    engine = make_engine(cfg.sources.contabilita.sqlalchemy_url())
    key = require_env(cfg.secrets.iban_hash_key_env).encode("utf-8")
    return [
        SqlStream(
            "contabilita",
            engine,
            "soggetti",
            "id_soggetto",
            "dt_agg",
            naive_cursor=False,
            transform=minimise_soggetto(key),
        ),
        SqlStream("contabilita", engine, "erogazioni", "id_erogazione", "dt_agg", naive_cursor=False),
    ]
