"""S.A.T. connector: REST, bearer token, cursor pages, `updated_since` inclusive, soft-delete tombstones.

Each page is a unit whose state is the greatest `updated_at` committed so far. Because the filter
is inclusive, resuming re-reads the records at that instant: they come back unchanged (same hash)
and add nothing. A 410 on an expired cursor restarts from the last committed `updated_since`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from configuration import HubConfig, require_env
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import HttpClient, parse_aware_timestamp
from connectors.raw_writer import Record

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

    def retries(self) -> int:
        return self.client.retries

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        since = (state or {}).get("updated_since")
        if request.since is not None:
            since = request.since.isoformat()
        cursor = None
        while True:
            params = {"limit": self.page_size}
            if cursor:
                params["cursor"] = cursor
            elif since:
                params["updated_since"] = since
            status, body = self.client.get_json(self.url, params, passthrough=frozenset({410}))
            if status == 410:  # cursor expired: restart from what is committed
                cursor = None
                continue
            items = body["data"]
            if items:
                newest = max(items, key=lambda it: _ts(it["updated_at"]))["updated_at"]
                if since is None or _ts(newest) > _ts(since):
                    since = newest
            yield Unit(
                records=[
                    Record(str(it[self.primary_key]), it, it["updated_at"], bool(it.get("deleted"))) for it in items
                ],
                state_after={"updated_since": since} if since else None,
                cursor_value=since,
            )
            cursor = body.get("next_cursor")
            if not cursor:
                return


def streams(cfg: HubConfig, **client_kwargs) -> list[Stream]:
    src = cfg.sources.sat
    client = HttpClient("sat", cfg.http, {"Authorization": f"Bearer {require_env(src.token_env)}"}, **client_kwargs)
    return [SatStream(name, client, src.base_url, src.page_size) for name in COLLECTIONS]
