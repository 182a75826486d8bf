"""The local Airflow of `fase airflow`: api-server, scheduler, dag-processor and triggerer as processes of this
machine, on the repository's DAGs, with the metadata database under the hub's data_dir.

Every Airflow process is the venv's own `airflow` (the one next to this Python), so nothing needs an
activated venv; each runs in a process group of its own, so that stopping it stops what it started (the
LocalExecutor's task processes, the API server's workers). Their output goes to log files; `AirflowStack`
starts them, waits until the API server says every component is healthy, reads the login the simple auth
manager generated, and stops them all.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hub import airflow_local

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
ROOT = Path(__file__).resolve().parents[1]
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
"""Where Airflow's simple auth manager writes the passwords it generated, in AIRFLOW_HOME."""
USER = "admin"
"""The simple auth manager's default user (`[core] simple_auth_manager_users = admin:admin`)."""


class AirflowStartError(RuntimeError):
    """An Airflow process exited or did not become healthy in time; the message holds the tail of its log."""


def airflow_executable() -> Path:
    """The `airflow` script installed next to this interpreter (the venv's), whether or not the venv is active."""
    return Path(sys.executable).with_name("airflow")


def home_of(data_dir: Path) -> Path:
    """AIRFLOW_HOME for a hub whose working files live in `data_dir` (the demo uses the same one)."""
    return (Path(data_dir) / "airflow").resolve()


def environment(home: Path, config_path: Path, host: str, port: int, log_ports: tuple[int, int]) -> dict[str, str]:
    """The environment of every Airflow process: the embedded settings (home, DAGs folder, no examples, SQLite
    metadata), the LocalExecutor, the API on `host`:`port` with a JWT secret shared by the processes of this
    start, the venv first on PATH, this checkout first on PYTHONPATH (the DAG files import `hub`), and the hub
    configuration the tasks use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(airflow_local.local_environment(home))
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    env.update(
        {
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # the processes log to files: keep what explains a failure
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://{local}:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{local}:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),  # HS512 wants at least 64 bytes
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_ports[0]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(log_ports[1]),
            "PATH": os.pathsep.join([str(airflow_executable().parent), env.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "FASE_CONFIG": str(Path(config_path).resolve()),
        }
    )
    return env


def shell_exports(home: Path, config_path: Path) -> list[str]:
    """`export` lines that point another shell's `airflow` at this Airflow (home, DAGs, database, no examples) and
    its tasks at the hub configuration; the venv's bin first on PATH."""
    env = {**airflow_local.local_environment(home), "FASE_CONFIG": str(Path(config_path).resolve())}
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    return [*lines, f'export PATH={shlex.quote(str(airflow_executable().parent))}:"$PATH"']


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class AirflowStack:
    """The four Airflow processes of one `fase airflow`, their logs in `log_dir`."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir = env, Path(log_dir)
        self.procs: dict[str, subprocess.Popen] = {}
        self.url = env["AIRFLOW__API__BASE_URL"]

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _run(self, name: str, *args: str) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen(
                [str(airflow_executable()), *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                process_group=0,  # its own group: Ctrl-C reaches `fase`, which stops each group in order
            )

    def migrate(self, timeout: float = 600) -> None:
        """Create or migrate the metadata database (`airflow db migrate`)."""
        proc = self._run("db-migrate", "db", "migrate")
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._stop_group(proc)
            raise AirflowStartError(
                f"airflow db migrate took over {timeout:.0f} s:\n{_tail(self.log('db-migrate'))}"
            ) from None
        except BaseException:  # Ctrl-C: the migration is in a group of its own, stop it too
            self._stop_group(proc)
            raise
        if code:
            raise AirflowStartError(f"airflow db migrate failed (exit {code}):\n{_tail(self.log('db-migrate'))}")

    def start(self) -> None:
        for name in SERVICES:
            self.procs[name] = self._run(name, name)

    def exited(self) -> dict[str, int]:
        """The processes that ended, with their exit codes."""
        return {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}

    def check_alive(self) -> None:
        for name, code in self.exited().items():
            raise AirflowStartError(
                f"airflow {name} exited (code {code}); the end of {self.log(name)}:\n{_tail(self.log(name))}"
            )

    def health(self) -> dict | None:
        """The API server's /api/v2/monitor/health, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as answer:
                return json.load(answer)
        except (OSError, ValueError):
            return None

    def wait_healthy(self, timeout: float = 300) -> dict:
        """Wait until the API server answers and reports the metadata database, the scheduler, the dag-processor and
        the triggerer healthy; AirflowStartError when a process exits or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            found = self.health()
            if found and all((found.get(part) or {}).get("status") == "healthy" for part in _COMPONENTS):
                return found
            if time.monotonic() > deadline:
                raise AirflowStartError(
                    f"Airflow was not healthy after {timeout:.0f} s (health: {found}); logs in {self.log_dir}"
                )
            time.sleep(1)

    def login(self) -> tuple[str, str | None, Path]:
        """(user, password, the file Airflow keeps it in); password None when the file does not hold it."""
        path = Path(self.env["AIRFLOW_HOME"]) / PASSWORDS_FILE
        try:
            return USER, json.loads(path.read_text()).get(USER), path
        except (OSError, ValueError):
            return USER, None, path

    def _stop_group(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        with contextlib.suppress(ProcessLookupError):  # what it started in its group (task runners, workers) too
            os.killpg(proc.pid, signal.SIGKILL)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to every process group, SIGKILL to what is left after `timeout` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            self._stop_group(proc, max(0.1, deadline - time.monotonic()))


_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
