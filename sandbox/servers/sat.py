"""S.A.T. simulator (contract: shared/source-systems/sat.md): bearer token, keyset cursor pages.

``GET /api/v1/ospiti`` and ``GET /api/v1/accoglienze`` with ``updated_since`` (inclusive, offset
required), ``limit`` (1..500, default 100) and ``cursor``. The cursor is opaque to clients:
urlsafe base64 of JSON holding the collection, the (sort_ts, id) key of the page's last item, the
``updated_since`` it continues and its issue time, followed by an HMAC so that a tampered cursor
is refused (400). A cursor older than the TTL (15 minutes) answers ``410 cursor expired``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime

from sandbox.http_store import HttpStore
from sandbox.servers.faults import FaultInjector
from sandbox.servers.transport import Request, Response, SimulatorApp, json_response

PREFIX = "/api/v1/"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class _BadRequest(ValueError):
    """A bad parameter; the message is the ``error`` of the 400 body."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and reads cursors; any cursor this codec did not issue unchanged is invalid."""

    def __init__(self, secret: str):
        self._key = hashlib.sha256(b"sat-cursor\0" + secret.encode("utf-8")).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, state: dict) -> str:
        payload = json.dumps(state, separators=(",", ":")).encode("utf-8")
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(self, cursor: str) -> dict:
        """The state a cursor carries; ``_BadRequest`` when it is malformed or tampered with."""
        try:
            payload_part, mac_part = cursor.split(".")
            payload, mac = _b64decode(payload_part), _b64decode(mac_part)
            if not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad signature")
            state = json.loads(payload)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _BadRequest("invalid cursor") from None
        return state


def parse_updated_since(value: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp that carries an offset; ``_BadRequest`` otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadRequest("updated_since must be an ISO 8601 timestamp with offset") from None
    if moment.tzinfo is None:
        raise _BadRequest("updated_since must carry a UTC offset (e.g. 2026-03-01T00:00:00Z)")
    return moment.timestamp()


def parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise _BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}")
    return limit


class SatApp(SimulatorApp):
    """The SAT REST API over an ``HttpStore``; ``clock`` returns the aware current time."""

    system = "sat"
    list_key = "data"
    fault_kinds = ("429", "503", "reset")

    def __init__(
        self,
        store: HttpStore,
        secret: str,
        faults: FaultInjector,
        clock: Callable[[], datetime],
        cursor_ttl_minutes: float = 15,
    ):
        super().__init__(store, faults)
        self.clock = clock
        self.cursor_ttl_seconds = cursor_ttl_minutes * 60
        self._expected_auth = f"Bearer {secret}".encode()
        self._cursors = CursorCodec(secret)

    def route(self, path: str) -> str | None:
        name = path.removeprefix(PREFIX) if path.startswith(PREFIX) else None
        return name if name in ("ospiti", "accoglienze") else None

    def authorized(self, request: Request) -> bool:
        given = (request.header("Authorization") or "").encode("utf-8")
        return hmac.compare_digest(given, self._expected_auth)

    def unauthorized(self) -> Response:
        return json_response(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})

    def not_found(self) -> Response:
        return json_response(404, {"error": "not found"})

    def method_not_allowed(self, method: str) -> Response:
        return json_response(405, {"error": "method not allowed"}, {"Allow": "GET"})

    def fault(self, kind: str) -> Response:
        if kind == "429":
            return json_response(
                429, {"error": "too many requests"}, {"Retry-After": str(self.faults.config.retry_after)}
            )
        return Response(503)  # no body, as the real gateway answers

    def serve(self, collection: str, request: Request) -> Response:
        params = request.params
        now = self.clock().timestamp()
        try:
            limit = parse_limit(params.get("limit"))
            since = parse_updated_since(params["updated_since"]) if "updated_since" in params else None
            after = None
            if "cursor" in params:
                state = self._cursors.decode(params["cursor"])
                if state.get("c") != collection:
                    raise _BadRequest("invalid cursor")
                if "updated_since" in params and since != state["s"]:
                    raise _BadRequest("cursor does not match updated_since")
                if now - state["iat"] > self.cursor_ttl_seconds:
                    return json_response(410, {"error": "cursor expired"})
                since, after = state["s"], (state["t"], state["id"])
        except _BadRequest as exc:
            return json_response(400, {"error": str(exc)})
        rows = self.store.page_after(collection, since, True, after, limit + 1)
        page, more = rows[:limit], len(rows) > limit
        next_cursor = None
        if more:
            last_ts, last_id = self.store.sort_key(collection, page[-1])
            next_cursor = self._cursors.encode({"c": collection, "t": last_ts, "id": last_id, "s": since, "iat": now})
        return json_response(200, {"data": page, "next_cursor": next_cursor})
