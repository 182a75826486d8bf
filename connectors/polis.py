"""POLIS 2.0 connector: REST, X-API-Key, page-number pages with absolute `next` links, `modified_after` strict.

Pages are computed at each request, so walking `next` links while records change shifts pages
and can skip a record. The stream therefore pages by watermark: it always asks for the first
page after the last committed `modified` (minus one microsecond, so records sharing that instant
are re-read and found unchanged), and follows `next` links only through a group of records
sharing one instant that is larger than a page, re-walking it until a walk finds nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from configuration import HubConfig, require_env
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import HttpClient, parse_aware_timestamp
from connectors.raw_writer import Record

COLLECTIONS = ("participants", "placements")
EPSILON = timedelta(microseconds=1)
MAX_TIE_WALKS = 5


def _ts(value: str) -> datetime:
    return parse_aware_timestamp("polis", value)


class PolisStream(Stream):
    system = "polis"
    primary_key = "id"
    cursor_field = "modified"

    def __init__(self, name: str, client: HttpClient, base_url: str, page_size: int):
        self.name, self.client, self.page_size = name, client, page_size
        self.url = f"{base_url.rstrip('/')}/polis/api/v2/{name}/"

    def retries(self) -> int:
        return self.client.retries

    def _unit(self, items: list[dict], watermark: str | None) -> Unit:
        return Unit(
            records=[Record(str(it["id"]), it, it["modified"]) for it in items],
            state_after={"modified_after": watermark} if watermark else None,
            cursor_value=watermark,
        )

    def _get(self, url: str, params: dict | None = None) -> dict:
        status, body = self.client.get_json(url, params, passthrough=frozenset({404}))
        if status == 404:  # a page past the end: the collection shrank under us, nothing more on this walk
            return {"results": [], "next": None}
        return body

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        wm = (state or {}).get("modified_after")
        if request.since is not None:
            wm = request.since.isoformat()
        strict = False  # True right after a tie group was walked: move strictly past its instant
        while True:
            params = {"page_size": self.page_size}
            if wm:
                params["modified_after"] = wm if strict else (_ts(wm) - EPSILON).isoformat()
            strict = False
            body = self._get(self.url, params)
            items = body["results"]
            if not items:
                return
            newest = max(items, key=lambda it: _ts(it["modified"]))["modified"]
            if wm is None or _ts(newest) > _ts(wm):
                wm = newest
                yield self._unit(items, wm)
                continue
            # a whole page at instant `wm`: walk the group through `next`, then move strictly past it
            yield self._unit(items, wm)
            if not body.get("next"):
                return
            yield from self._walk_tie_group(body, wm)
            strict = True

    def _walk_tie_group(self, first: dict, wm: str) -> Iterator[Unit]:
        seen = {str(it["id"]) for it in first["results"]}
        for _ in range(MAX_TIE_WALKS):
            found_new, body = False, first
            while body.get("next"):
                body = self._get(body["next"])
                group = [it for it in body["results"] if _ts(it["modified"]) == _ts(wm)]
                found_new |= any(str(it["id"]) not in seen for it in group)
                seen.update(str(it["id"]) for it in group)
                yield self._unit(group, wm)
                if len(group) < len(body["results"]):
                    break
            if not found_new:
                return
            params = {"page_size": self.page_size, "modified_after": (_ts(wm) - EPSILON).isoformat()}
            first = self._get(self.url, params)


def streams(cfg: HubConfig, **client_kwargs) -> list[Stream]:
    src = cfg.sources.polis
    client = HttpClient("polis", cfg.http, {"X-API-Key": require_env(src.api_key_env)}, **client_kwargs)
    return [PolisStream(name, client, src.base_url, src.page_size) for name in COLLECTIONS]
