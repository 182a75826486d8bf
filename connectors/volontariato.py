"""Volontariato connector: SQL (MariaDB in production), watermark on `ultima_modifica` in Europe/Rome local time.

Local timestamps repeat an hour when daylight saving ends; the watermark therefore re-reads the
hour before it (65 minutes), so rows written in the repeated hour after a sync are not missed.
Rows are deleted physically: deletions are found by reconciling id sets at the end of each sync.
"""

from __future__ import annotations

from datetime import timedelta

from configuration import HubConfig
from connectors.base import Stream
from connectors.sql_source import SqlStream
from warehouse.db import make_engine

DST_LOOKBACK = timedelta(minutes=65)
TABLES = {"anagrafiche": "id", "servizi": "id"}


def streams(cfg: HubConfig, **_) -> list[Stream]:
    engine = make_engine(cfg.sources.volontariato.sqlalchemy_url())
    return [
        SqlStream(
            "volontariato",
            engine,
            table,
            pk,
            "ultima_modifica",
            naive_cursor=True,
            lookback=DST_LOOKBACK,
            reconcile_deletes=True,
        )
        for table, pk in TABLES.items()
    ]
