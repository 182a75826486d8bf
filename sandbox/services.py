"""Run the sandbox: credentials, the two HTTP simulators (threads or background processes), the hub config.

`running(folder)` starts both simulators in this process (demo, tests); `start_background` /
`stop_background` keep them alive across commands (`fase sandbox up` / `down`); `serving(folder, urls)`
makes sure they answer where a hub configuration expects them for the length of a block (`fase airflow`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sandbox.servers.faults import FaultConfig
from sandbox.servers.runner import start_server

SECRET_NAMES = (
    "FASE_SAT_TOKEN",
    "FASE_POLIS_API_KEY",
    "FASE_IBAN_HASH_KEY",
    "FASE_PSEUDONYM_KEY",
    "FASE_CONSOLE_SECRET",
)
SERVER_SECRET = {"sat": "FASE_SAT_TOKEN", "polis": "FASE_POLIS_API_KEY"}
DEFAULT_PORTS = {"sat": 8701, "polis": 8702}


def ensure_secrets(folder: Path) -> Path:
    """Create `secrets.env` with random sandbox credentials (0600) unless it exists, add the ones an older file
    lacks; load it into os.environ."""
    path = Path(folder) / "secrets.env"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# sandbox credentials, generated; never commit\n")
    held = {line.split("=", 1)[0] for line in path.read_text().splitlines() if "=" in line}
    with path.open("a") as fh:
        for name in SECRET_NAMES:
            if name not in held:
                fh.write(f"{name}={secrets.token_urlsafe(24)}\n")
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            os.environ.setdefault(key, value)
    return path


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def absolute_sqlite_url(url: str) -> str:
    """`url` with a relative SQLite file path made absolute (against the working directory); other URLs as given."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    return parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(hide_password=False)


def write_hub_config(
    folder: Path,
    urls: dict[str, str],
    path: Path,
    warehouse_url: str,
    volontariato_url: str | None = None,
    contabilita_url: str | None = None,
) -> Path:
    """Write a hub configuration pointing at this sandbox (secrets by name only). Every path in it is absolute,
    so that it works from any working directory (an Airflow worker's, another shell's)."""
    folder = Path(folder).resolve()
    data = {
        "mode": "sandbox",
        "env_file": str(folder / "secrets.env"),
        "data_dir": str(folder.parent),
        "truth_folder": str(folder),
        "warehouse": {"url": absolute_sqlite_url(warehouse_url)},
        "http": {"timeout_seconds": 30, "max_attempts": 8, "backoff_base_seconds": 0.2, "backoff_max_seconds": 10},
        "sources": {
            "sat": {"base_url": urls["sat"], "token_env": "FASE_SAT_TOKEN", "page_size": 500},
            "polis": {"base_url": urls["polis"], "api_key_env": "FASE_POLIS_API_KEY", "page_size": 200},
            "anagrafe": {"folder": str(folder / "anagrafe")},
            "volontariato": {"url": absolute_sqlite_url(volontariato_url or f"sqlite:///{folder / 'volontariato.db'}")},
            "contabilita": {"url": absolute_sqlite_url(contabilita_url or f"sqlite:///{folder / 'contabilita.db'}")},
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# written by fase sandbox; secrets are named, never stored here\n" + yaml.safe_dump(data, sort_keys=False)
    )
    return path


@contextmanager
def running(folder: Path, fault_rate: float = 0.0, seed: int = 0) -> Iterator[dict[str, str]]:
    """Both HTTP simulators in daemon threads of this process for the duration of the block; yields their URLs."""
    folder = Path(folder)
    ensure_secrets(folder)
    handles = [
        start_server(
            system,
            folder / f"{system}.db",
            secret=os.environ[SERVER_SECRET[system]],
            faults=FaultConfig(rate=fault_rate, seed=seed),
        )
        for system in ("sat", "polis")
    ]
    try:
        yield {h.system: h.url for h in handles}
    finally:
        for h in handles:
            h.stop()


def _pidfile(folder: Path) -> Path:
    return Path(folder) / "servers.json"


def _spawn(folder: Path, system: str, port: int, fault_rate: float = 0.0) -> subprocess.Popen:
    """One simulator as a process of its own session, logging to `<system>-server.log` in the folder."""
    with open(folder / f"{system}-server.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox.servers",
                system,
                "--store",
                str(folder / f"{system}.db"),
                "--port",
                str(port),
                "--fault-rate",
                str(fault_rate),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
            start_new_session=True,
        )


def start_background(folder: Path, fault_rate: float = 0.0) -> dict[str, str]:
    """Start both simulators as background processes (logs and pids in the folder); returns their URLs."""
    folder = Path(folder)
    stop_background(folder)
    ensure_secrets(folder)
    spawned = {system: _spawn(folder, system, _default_port(system), fault_rate) for system in ("sat", "polis")}
    procs: dict[str, dict] = {}
    for system, proc in spawned.items():
        port = _own_port(proc, system)
        if port is None:  # another process took the default port between the check and the child's bind
            proc = _spawn(folder, system, 0, fault_rate)
            port = _own_port(proc, system)
        if port is None:
            raise RuntimeError(f"{system} simulator exited at start; see its log in {folder}")
        procs[system] = {"pid": proc.pid, "url": f"http://127.0.0.1:{port}"}
    _pidfile(folder).write_text(json.dumps(procs, indent=2))
    return {s: p["url"] for s, p in procs.items()}


def _default_port(system: str) -> int:
    """The system's usual port when it is free now, else 0 (the child binds any free port the OS picks)."""
    preferred = DEFAULT_PORTS[system]
    return preferred if free_port(preferred) == preferred else 0


def _own_port(proc: subprocess.Popen, system: str, timeout: float = 15.0) -> int | None:
    """The port the simulator process `proc` itself listens on (its own socket, never whoever else answers on
    the port it was given), once it does; None when it exited first (e.g. the port was taken)."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            ports = [c.laddr.port for c in psutil.Process(proc.pid).net_connections("tcp") if c.status == "LISTEN"]
        except psutil.Error:
            ports = []
        if ports:
            return ports[0]
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError(f"{system} simulator did not start listening within {timeout:.0f} s; see its log")


def listening(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at the host and port of `url` (e.g. http://127.0.0.1:8701)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def serving(folder: Path, urls: dict[str, str]) -> Iterator[list[str]]:
    """The simulators answer at `urls` ({"sat": base URL, "polis": base URL}, as a hub configuration names them)
    for the block: those on this machine not listening yet are started on their port and stopped at the end.
    Yields the systems it started (one already running, e.g. by `fase sandbox up`, is left alone)."""
    folder = Path(folder)
    ensure_secrets(folder)
    started: dict[str, subprocess.Popen] = {}
    try:
        for system, url in urls.items():
            local = urlsplit(url).hostname in ("127.0.0.1", "localhost")
            if local and not listening(url):  # a simulator on another host (docker compose) is not ours to start
                started[system] = _spawn(folder, system, urlsplit(url).port or 80)
        for system in started:
            _wait_listening(urls[system], system)
        yield list(started)
    finally:
        for proc in started.values():
            proc.terminate()
        for proc in started.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait_listening(url: str, system: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{system} simulator did not start listening on {url}; see its log in the sandbox folder")


def stop_background(folder: Path) -> list[str]:
    path = _pidfile(folder)
    if not path.exists():
        return []
    stopped = []
    for system, info in json.loads(path.read_text()).items():
        try:
            os.kill(info["pid"], signal.SIGTERM)
            stopped.append(system)
        except ProcessLookupError:
            pass
    path.unlink()
    return stopped


def background_urls(folder: Path) -> dict[str, str]:
    path = _pidfile(folder)
    return {s: p["url"] for s, p in json.loads(path.read_text()).items()} if path.exists() else {}
