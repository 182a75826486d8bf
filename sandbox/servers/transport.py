"""HTTP plumbing shared by the simulators: request/response values, the dispatch order, the socket.

A simulator (``SimulatorApp``) only maps a parsed ``Request`` to a ``Response``; this module
reads the request off the socket, applies the dispatch order (route, auth, fault, serve),
writes the response with a ``Content-Length`` (HTTP/1.1, keep-alive), resets the connection
when the fault says so, and logs one line per request (never the headers, so never a secret).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.http_store import COLLECTIONS, HttpStore
from sandbox.servers.faults import FaultInjector

log = logging.getLogger("sandbox.servers")


@dataclass(frozen=True)
class Request:
    """A GET as the application sees it: path, raw query string, first value of each parameter, headers."""

    method: str
    path: str
    query_string: str
    params: dict[str, str]
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    """What to send back. ``reset``: send the head and part of the body, then reset the connection."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


def json_response(status: int, payload, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def spoil(response: Response, shape: str | None, list_key: str, id_field: str, cursor_field: str) -> Response:
    """``response`` with its body given the malformed ``shape`` (see ``FaultConfig.shape``); unchanged for None."""
    if shape is None:
        return response
    body = json.loads(response.body)
    items = body.get(list_key) or []
    if shape == "no_collection":
        del body[list_key]
    elif shape == "collection_not_list":
        body[list_key] = {"items": items}
    elif items and shape == "string_item":
        items[-1] = json.dumps(items[-1])
    elif items and shape == "item_without_id":
        del items[-1][id_field]
    elif items and shape == "item_without_cursor":
        del items[-1][cursor_field]
    elif items and shape == "cursor_not_string":
        items[-1][cursor_field] = int(datetime.fromisoformat(items[-1][cursor_field]).timestamp())
    return json_response(response.status, body, {k: v for k, v in response.headers.items() if k != "Content-Type"})


class SimulatorApp:
    """One source system's behaviour. Subclasses fill in the hooks; ``dispatch`` fixes their order."""

    system: str
    fault_kinds: tuple[str, ...]
    list_key: str  # the key of a page's items: ``data`` (SAT), ``results`` (POLIS)

    def __init__(self, store: HttpStore, faults: FaultInjector):
        self.store = store
        self.faults = faults

    def route(self, path: str) -> str | None:
        """The collection served at ``path``, or None."""
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        raise NotImplementedError

    def not_found(self) -> Response:
        raise NotImplementedError

    def method_not_allowed(self, method: str) -> Response:
        raise NotImplementedError

    def fault(self, kind: str) -> Response:
        """The response of a fault kind other than ``reset``."""
        raise NotImplementedError

    def serve(self, collection: str, request: Request) -> Response:
        """The normal answer to an authenticated request for a collection."""
        raise NotImplementedError

    def dispatch(self, request: Request) -> tuple[Response, str | None]:
        """Route, authenticate, draw a fault, serve. Returns the response and the fault applied."""
        collection = self.route(request.path)
        if collection is None:
            return self.not_found(), None
        if request.method != "GET":
            return self.method_not_allowed(request.method), None
        if not self.authorized(request):
            return self.unauthorized(), None
        kind = self.faults.draw()
        if kind is None:
            response = self.serve(collection, request)
            shape = self.faults.spoils_page() if response.status == 200 else None
            return (spoil(response, shape, self.list_key, *COLLECTIONS[self.system][collection]), shape)

        if kind != "reset":
            return self.fault(kind), kind
        response = self.serve(collection, request)
        response.reset = True
        return response, kind


class SimulatorHandler(BaseHTTPRequestHandler):
    """Hands every request to the server's app and writes its response."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body go out in two writes: no 40 ms delayed-ACK stall
    server: SimulatorServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # the app answers 405

    def _handle(self) -> None:
        started = time.monotonic()
        self._discard_body()
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        request = Request(self.command, url.path, url.query, params, {k.lower(): v for k, v in self.headers.items()})
        app = self.server.app
        try:
            response, fault = app.dispatch(request)
        except Exception:  # a bug in the simulator: answer 500 rather than hang the client
            log.exception("%s simulator failed on %s %s", app.system, self.command, url.path)
            response, fault = Response(500), None
        self._write(response)
        log.info(
            "%s %s %s %s %d%s %.1fms",
            app.system,
            self.client_address[0],
            self.command,
            self.path,
            response.status,
            f" fault={fault}" if fault else "",
            (time.monotonic() - started) * 1000,
        )

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _write(self, response: Response) -> None:
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not response.reset:
            self.wfile.write(response.body)
            return
        self.wfile.write(response.body[: len(response.body) // 2])
        self.wfile.flush()
        self._reset()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0) instead of an orderly close.

        The socket's file descriptor closes only once the buffered reader made from it is closed
        too (the writer is unbuffered and holds no reference); the handler's own cleanup then
        meets an already closed socket, which it tolerates.
        """
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()

    def log_message(self, format: str, *args) -> None:
        """http.server's own lines (malformed requests) go to debug; ``_handle`` logs the requests."""
        log.debug("%s %s", self.address_string(), format % args)


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server for one simulator app, set as ``app`` once the address is bound."""

    daemon_threads = True
    allow_reuse_address = True
    app: SimulatorApp

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, SimulatorHandler)

    @property
    def local_url(self) -> str:
        """``http://host:port`` of the bound socket (`server_address` holds the same, typed to allow bytes)."""
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"
