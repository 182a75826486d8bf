"""POLIS 2.0 connector: REST, X-API-Key, page-number pages with absolute `next` links, `modified_after` strict.

Pages are computed at each request, so walking `next` links while records change shifts pages
and can skip a record. The stream therefore pages by watermark: it always asks for the first
page after the last committed `modified` (minus one microsecond, so records sharing that instant
are re-read and found unchanged), and follows `next` links only through a group of records
sharing one instant that is larger than a page, re-walking it until a walk finds nothing new.

A 404 means "past the end" only on a page reached through a `next` link (the collection shrank
while it was walked); a 404 on a first page means the collection is not there — a base URL
pointing at the wrong server — and is an error, never an empty sync. Every page's shape is checked
before use (connectors/page_shape.py).

Reconciliation: POLIS has no deletes, so its `count` (a one-item page) must equal the raw layer's
live records; on a mismatch the id listing is walked to name the missing ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import cast

from configuration import HubConfig, require_env
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import HttpClient, SourceError, parse_aware_timestamp
from connectors.page_shape import describe, display_url, link_value, page_items
from connectors.raw_writer import Record
from connectors.source_view import CountThenListing, IdListing, SourceView

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

    def _get(self, url: str, params: dict | None = None, *, page: int = 1) -> dict:
        """One page, its shape checked; `page` > 1 means it was reached through a `next` link."""
        status, body = self.client.get_json(url, params, passthrough=frozenset({404}))
        shown = display_url(url, params)
        if status == 404:
            if page > 1:  # a page past the end: the collection shrank under us, nothing more on this walk
                return {"results": [], "next": None}
            raise SourceError(
                "polis",
                f"{self.name}: GET {shown} answered 404 on a first page: the collection is not there "
                "(is sources.polis.base_url the POLIS server?)",
                404,
            )
        page_items("polis", self.name, shown, page, body, list_key="results", id_field="id", cursor_field="modified")
        link_value("polis", self.name, shown, page, body, "next")
        return cast(dict, body)  # page_items proved it is an object

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        wm = (state or {}).get("modified_after")
        if request.since is not None:
            wm = request.since.isoformat()
        for items, watermark in self._batches(wm):
            yield self._unit(items, watermark)

    def _batches(self, wm: str | None) -> Iterator[tuple[list[dict], str | None]]:
        """Every record modified after `wm`, in batches, each with the watermark it commits."""
        strict = False  # True right after a tie group was walked: move strictly past its instant
        while True:
            params: dict = {"page_size": self.page_size}
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
                yield items, wm
                continue
            # a whole page at instant `wm`: walk the group through `next`, then move strictly past it
            yield items, wm
            if not body.get("next"):
                return
            yield from self._walk_tie_group(body, wm)
            strict = True

    def _walk_tie_group(self, first: dict, wm: str) -> Iterator[tuple[list[dict], str]]:
        """The records at instant `wm` beyond the first page (already yielded), walking `next` links; walked again
        from its first page while a walk finds ids not seen before (records moving out of the group shift pages)."""
        seen = {str(it["id"]) for it in first["results"]}
        body = first
        for _ in range(MAX_TIE_WALKS):
            found_new, page = False, 1
            while body.get("next"):
                page += 1
                body = self._get(body["next"], page=page)
                group = [it for it in body["results"] if _ts(it["modified"]) == _ts(wm)]
                found_new |= any(str(it["id"]) not in seen for it in group)
                seen.update(str(it["id"]) for it in group)
                yield group, wm
                if len(group) < len(body["results"]):
                    break
            if not found_new:
                return
            body = self._get(self.url, {"page_size": self.page_size, "modified_after": (_ts(wm) - EPSILON).isoformat()})
            group = [it for it in body["results"] if _ts(it["modified"]) == _ts(wm)]
            seen.update(str(it["id"]) for it in group)
            yield group, wm  # the new walk's first page is read too (it held records the shift had skipped)
            if len(group) < len(body["results"]):  # the whole group fits this page now
                return

    def source_view(self, state: dict | None) -> SourceView:
        watermark = (state or {}).get("modified_after")
        return CountThenListing("count", self._count(), lambda: IdListing("id listing", self._listing(watermark)))

    def _count(self) -> int:
        params = {"page_size": 1}
        body = self._get(self.url, params)
        count = body.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            shown = display_url(self.url, params)
            raise SourceError(
                "polis", f'{self.name}: GET {shown} page 1: "count" should be an integer; got {describe(count)}'
            )
        return count

    def _listing(self, watermark: str | None) -> Iterator[tuple[str, bool, bool]]:
        """Every id POLIS lists, once; due when modified at or before the committed watermark."""
        modified: dict[str, str] = {}
        for items, _ in self._batches(None):
            modified.update((str(it["id"]), it["modified"]) for it in items)
        for sid, when in modified.items():
            yield sid, True, watermark is not None and _ts(when) <= _ts(watermark)


def streams(cfg: HubConfig, **client_kwargs) -> list[Stream]:
    src = cfg.sources.polis
    client = HttpClient("polis", cfg.http, {"X-API-Key": require_env(src.api_key_env)}, **client_kwargs)
    return [PolisStream(name, client, src.base_url, src.page_size) for name in COLLECTIONS]
