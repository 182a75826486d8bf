"""S.A.T. connector: REST, bearer token, cursor pages, `updated_since` inclusive, soft-delete tombstones.

Each page is a unit whose state is the greatest `updated_at` committed so far. Because the filter
is inclusive, resuming re-reads the records at that instant: they come back unchanged (same hash)
and add nothing. A 410 on an expired cursor restarts from the last committed `updated_since`.
Every page's shape is checked before use (connectors/page_shape.py).

Reconciliation: SAT offers no id listing short of reading every record. After a full refresh the
listing just received is the id set (tombstones count as deleted); after an incremental sync, every
record received in the run must be the current raw version (same content hash and deleted flag);
`fase reconcile sat` walks the whole listing, keeping ids only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from configuration import HubConfig, require_env
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import HttpClient, parse_aware_timestamp
from connectors.page_shape import display_url, link_value, page_items
from connectors.raw_writer import Record, content_hash
from connectors.source_view import IdListing, ReceivedRecords, SourceView

COLLECTIONS = {"ospiti": "id_ospite", "accoglienze": "id_accoglienza"}


def _ts(value: str) -> datetime:
    return parse_aware_timestamp("sat", value)


class SatStream(Stream):
    system = "sat"
    cursor_field = "updated_at"

    def __init__(self, name: str, client: HttpClient, base_url: str, page_size: int):
        self.name, self.primary_key = name, COLLECTIONS[name]
        self.client, self.page_size = client, page_size
        self.url = f"{base_url.rstrip('/')}/api/v1/{name}"
        self.mode: str | None = None  # the mode of the sync this stream ran, if it ran one
        self.received: dict[str, tuple[str, bool]] = {}  # id -> (content hash, tombstone) of its last version

    def retries(self) -> int:
        return self.client.retries

    def _pages(self, since: str | None) -> Iterator[tuple[list[dict], str | None]]:
        """Pages from `since` (inclusive), each with the greatest `updated_at` seen so far; restarts on a 410."""
        cursor, page = None, 0
        while True:
            params: dict = {"limit": self.page_size}
            if cursor:
                params["cursor"] = cursor
            elif since:
                params["updated_since"] = since
            status, body = self.client.get_json(self.url, params, passthrough=frozenset({410}))
            if status == 410:  # cursor expired: restart from what is committed
                cursor, page = None, 0
                continue
            page += 1
            shown = display_url(self.url, params)
            items = page_items(
                "sat",
                self.name,
                shown,
                page,
                body,
                list_key="data",
                id_field=self.primary_key,
                cursor_field="updated_at",
                flag_field="deleted",
            )
            if items:
                newest = max(items, key=lambda it: _ts(it["updated_at"]))["updated_at"]
                if since is None or _ts(newest) > _ts(since):
                    since = newest
            cursor = link_value("sat", self.name, shown, page, body, "next_cursor")
            yield items, since
            if not cursor:
                return

    def _records(self, items: list[dict]) -> list[Record]:
        return [Record(str(it[self.primary_key]), it, it["updated_at"], bool(it.get("deleted"))) for it in items]

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        self.mode = request.mode
        since = (state or {}).get("updated_since")
        if request.since is not None:
            since = request.since.isoformat()
        for items, committed in self._pages(since):
            records = self._records(items)
            self.received.update((r.source_id, (content_hash(r.payload), r.tombstone)) for r in records)
            yield Unit(
                records=records,
                state_after={"updated_since": committed} if committed else None,
                cursor_value=committed,
            )

    def source_view(self, state: dict | None) -> SourceView:
        if self.mode == "full_refresh":
            listing = ((sid, not tombstone, True) for sid, (_, tombstone) in self.received.items())
            return IdListing("full listing received", listing)
        if self.mode is not None:
            return ReceivedRecords("records received in this run", self.received)
        return IdListing("full listing", self._listing((state or {}).get("updated_since")))

    def _listing(self, watermark: str | None) -> Iterator[tuple[str, bool, bool]]:
        """Every id SAT lists, once (the last version seen wins); due when updated at or before the watermark."""
        latest: dict[str, tuple[bool, bool]] = {}
        for items, _ in self._pages(None):
            for it in items:
                due = watermark is not None and _ts(it["updated_at"]) <= _ts(watermark)
                latest[str(it[self.primary_key])] = (not it.get("deleted"), due)
        for sid, (live, due) in latest.items():
            yield sid, live, due


def streams(cfg: HubConfig, **client_kwargs) -> list[Stream]:
    src = cfg.sources.sat
    client = HttpClient("sat", cfg.http, {"Authorization": f"Bearer {require_env(src.token_env)}"}, **client_kwargs)
    return [SatStream(name, client, src.base_url, src.page_size) for name in COLLECTIONS]
