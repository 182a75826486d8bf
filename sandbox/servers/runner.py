"""Start a simulator: in a daemon thread for tests and the world (``start_server``), or blocking
for a CLI process (``serve_forever``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sandbox.http_store import HttpStore
from sandbox.servers.faults import FaultConfig, FaultInjector
from sandbox.servers.polis import PolisApp
from sandbox.servers.sat import SatApp
from sandbox.servers.transport import SimulatorServer

log = logging.getLogger("sandbox.servers")

Clock = Callable[[], datetime]
SYSTEMS = ("sat", "polis")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_server(
    system: str,
    store_path: str | Path,
    *,
    secret: str,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    clock: Clock | None = None,
    public_base_url: str | None = None,
    cursor_ttl_minutes: float = 15,
) -> SimulatorServer:
    """A bound, not yet serving, simulator of ``system`` over the store at ``store_path``.

    ``secret`` is the SAT bearer token or the POLIS API key; ``public_base_url`` (POLIS) is the
    origin its absolute ``next``/``previous`` links use, by default the bound address;
    ``clock`` (SAT) returns the aware current time and decides cursor expiry.
    """
    if system not in SYSTEMS:
        raise ValueError(f"no HTTP simulator for {system!r}; choose one of {SYSTEMS}")
    if not secret:
        raise ValueError("the simulator needs a non-empty secret")
    store = HttpStore(store_path, system)
    server = SimulatorServer((host, port))
    config = faults if faults is not None else FaultConfig()
    if system == "sat":
        injector = FaultInjector(config, SatApp.fault_kinds)
        server.app = SatApp(store, secret, injector, clock or _utc_now, cursor_ttl_minutes)
    else:
        injector = FaultInjector(config, PolisApp.fault_kinds)
        server.app = PolisApp(store, secret, injector, public_base_url or server.local_url)
    return server


class ServerHandle:
    """A simulator serving in a daemon thread; ``stop()`` (or leaving the ``with`` block) ends it.

    ``url`` and ``port`` are where it listens; ``faults`` is its live ``FaultConfig``: setting
    ``handle.faults.rate`` changes the fault rate while it serves.
    """

    def __init__(self, server: SimulatorServer):
        self._server = server
        self.system = server.app.system
        self.port = server.server_address[1]
        self.url = server.local_url
        self.faults: FaultConfig = server.app.faults.config
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.system}-simulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._server.app.store.close()
        self._thread.join()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def start_server(
    system: str,
    store_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    secret: str,
    faults: FaultConfig | None = None,
    clock: Clock | None = None,
    public_base_url: str | None = None,
    cursor_ttl_minutes: float = 15,
) -> ServerHandle:
    """Start the ``system`` simulator in a daemon thread and return its handle (see ``build_server``)."""
    server = build_server(
        system,
        store_path,
        secret=secret,
        host=host,
        port=port,
        faults=faults,
        clock=clock,
        public_base_url=public_base_url,
        cursor_ttl_minutes=cursor_ttl_minutes,
    )
    handle = ServerHandle(server)
    log.info("%s simulator serving at %s", handle.system, handle.url)
    return handle


def serve_forever(
    system: str,
    store_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    secret: str,
    faults: FaultConfig | None = None,
    clock: Clock | None = None,
    public_base_url: str | None = None,
    cursor_ttl_minutes: float = 15,
) -> None:
    """Serve the ``system`` simulator in the calling thread until interrupted (KeyboardInterrupt, SystemExit)."""
    server = build_server(
        system,
        store_path,
        secret=secret,
        host=host,
        port=port,
        faults=faults,
        clock=clock,
        public_base_url=public_base_url,
        cursor_ttl_minutes=cursor_ttl_minutes,
    )
    log.info("%s simulator serving at %s", system, server.local_url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.app.store.close()
        log.info("%s simulator stopped", system)
