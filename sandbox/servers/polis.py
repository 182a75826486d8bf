"""POLIS 2.0 simulator (contract: shared/source-systems/polis.md), in the manner of Django REST Framework.

``GET /polis/api/v2/participants/`` and ``/polis/api/v2/placements/`` with ``modified_after``
(strict), ``page`` and ``page_size``. Each page is an OFFSET over the current (modified, id)
ordering, computed at each request: a record modified while a client pages moves to the end
and later pages shift, as in the real system. Details copied from DRF / Django:
- a naive ``modified_after`` is read in the server's time zone (Europe/Rome);
- a page that is not a positive integer, or past the end, is ``404 {"detail": "Invalid page."}``
  (page 1 of an empty result is a 200);
- ``next``/``previous`` keep the request's other parameters, sorted and urlencoded, and
  ``previous`` of page 2 drops ``page`` altogether;
- 500 and 502 come with HTML bodies (Django's error page, the proxy's), not JSON.
"""

from __future__ import annotations

import hmac
import math
from datetime import datetime
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from sandbox.http_store import HttpStore
from sandbox.servers.faults import FaultInjector
from sandbox.servers.transport import Request, Response, SimulatorApp, json_response

PREFIX = "/polis/api/v2/"
SERVER_TIME_ZONE = ZoneInfo("Europe/Rome")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
SERVER_ERROR_HTML = (
    b'\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    b"<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def parse_modified_after(value: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp (naive: server time zone); ValueError if invalid."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SERVER_TIME_ZONE)
    return moment.timestamp()


def parse_page_size(value: str | None) -> int:
    """The page size; ValueError carrying DRF's message when it is not an integer within 1..200."""
    if value is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except ValueError:
        raise ValueError("A valid integer is required.") from None
    if size < 1:
        raise ValueError("Ensure this value is greater than or equal to 1.")
    if size > MAX_PAGE_SIZE:
        raise ValueError(f"Ensure this value is less than or equal to {MAX_PAGE_SIZE}.")
    return size


def with_page(url: str, query_string: str, page: int | None) -> str:
    """``url`` with the request's query, ``page`` replaced (or removed when None), as DRF builds links."""
    query = parse_qs(query_string, keep_blank_values=True)
    query.pop("page", None)
    if page is not None:
        query["page"] = [str(page)]
    encoded = urlencode(sorted(query.items()), doseq=True)
    return f"{url}?{encoded}" if encoded else url


class PolisApp(SimulatorApp):
    """The POLIS REST API over an ``HttpStore``; links are absolute on ``public_base_url``."""

    system = "polis"
    list_key = "results"
    fault_kinds = ("429", "500", "502")

    def __init__(self, store: HttpStore, secret: str, faults: FaultInjector, public_base_url: str):
        super().__init__(store, faults)
        self.public_base_url = public_base_url.rstrip("/")
        self._expected_key = secret.encode("utf-8")

    def route(self, path: str) -> str | None:
        if not (path.startswith(PREFIX) and path.endswith("/")):
            return None
        name = path[len(PREFIX) : -1]
        return name if name in ("participants", "placements") else None

    def authorized(self, request: Request) -> bool:
        given = (request.header("X-API-Key") or "").encode("utf-8")
        return hmac.compare_digest(given, self._expected_key)

    def unauthorized(self) -> Response:
        return json_response(403, {"detail": "Invalid API key."})

    def not_found(self) -> Response:
        return json_response(404, {"detail": "Not found."})

    def method_not_allowed(self, method: str) -> Response:
        return json_response(405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": "GET, HEAD, OPTIONS"})

    def fault(self, kind: str) -> Response:
        if kind == "429":
            wait = self.faults.config.retry_after
            detail = f"Request was throttled. Expected available in {wait} second{'' if wait == 1 else 's'}."
            return json_response(429, {"detail": detail}, {"Retry-After": str(wait)})
        if kind == "500":
            return Response(500, SERVER_ERROR_HTML, {"Content-Type": "text/html; charset=utf-8"})
        return Response(502, BAD_GATEWAY_HTML, {"Content-Type": "text/html"})

    def serve(self, collection: str, request: Request) -> Response:
        params = request.params
        errors: dict[str, list[str]] = {}
        since = None
        if params.get("modified_after"):  # django-filter ignores an empty value
            try:
                since = parse_modified_after(params["modified_after"])
            except ValueError:
                errors["modified_after"] = ["Enter a valid date/time."]
        try:
            page_size = parse_page_size(params.get("page_size"))
        except ValueError as exc:
            errors["page_size"] = [str(exc)]
        if errors:
            return json_response(400, errors)

        count = self.store.count(collection, since, inclusive=False)
        num_pages = max(1, math.ceil(count / page_size))
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 0
        if not 1 <= page <= num_pages:
            return json_response(404, {"detail": "Invalid page."})
        results = self.store.page_after(collection, since, False, None, page_size, offset=(page - 1) * page_size)
        url = self.public_base_url + request.path
        return json_response(
            200,
            {
                "count": count,
                "next": with_page(url, request.query_string, page + 1) if page < num_pages else None,
                "previous": with_page(url, request.query_string, page - 1 if page > 2 else None) if page > 1 else None,
                "results": results,
            },
        )
