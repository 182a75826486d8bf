"""`fase airflow` for real (issue 17): from a sandbox whose simulators are down it starts them, migrates Airflow's
metadata, runs api-server, scheduler, dag-processor and triggerer from the venv's executables, prints the UI
address and the login; the API then lists every fase DAG with zero import errors; Ctrl-C stops it all and leaves
no process behind."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from sandbox import services, world

# one work unit with the other Airflow topology on a parallel run (`make test`): never both at once (tests/conftest.py)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[1]
DAG_IDS = {
    "fase_sync_sat",
    "fase_sync_anagrafe",
    "fase_sync_polis",
    "fase_sync_volontariato",
    "fase_sync_contabilita",
    "fase_link_publish",
    "fase_quality",
}
READY_SECONDS = 180
"""A first start on a busy 2-core machine: metadata database, then four Airflow processes."""


def call(url: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def lines_of(stream) -> queue.Queue:
    """The stream's lines as they come, read by a thread (a pipe read must not block the test's deadlines)."""
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            found.put(line.rstrip("\n"))
        found.put(None)

    threading.Thread(target=read, daemon=True).start()
    return found


def test_fase_airflow_serves_the_dags_with_its_login_and_stops_everything(tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 30, seed=2)
    urls = {system: f"http://127.0.0.1:{services.free_port(0)}" for system in ("sat", "polis")}
    config = services.write_hub_config(folder, urls, tmp_path / "hub.yaml", f"sqlite:///{tmp_path / 'warehouse.db'}")
    assert not any(services.listening(url) for url in urls.values())  # the simulators are down, as after a demo
    port = services.free_port(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FASE_"))}
    env["PYTHONPATH"] = str(ROOT)
    stderr = (tmp_path / "fase-airflow.err").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from hub.cli import main; main()",
            "--config",
            str(config),
            "airflow",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    out: list[str] = []
    started = time.monotonic()
    descendants: list[psutil.Process] = []
    lines = lines_of(proc.stdout)
    try:
        while not any(line.startswith("login") for line in out):
            left = READY_SECONDS - (time.monotonic() - started)
            line = lines.get(timeout=max(left, 0.1)) if left > 0 else None
            if line is None:
                pytest.fail(
                    f"no login after {time.monotonic() - started:.0f} s (exit {proc.poll()}):\n"
                    + "\n".join(out)
                    + "\n"
                    + (tmp_path / "fase-airflow.err").read_text()[-3000:]
                )
            out.append(line)
        ready = time.monotonic() - started
        text = "\n".join(out)
        assert f"Airflow UI    http://127.0.0.1:{port}" in text, text
        for system, url in urls.items():
            assert f"sandbox {system:<6} {url} (started by this command)" in text, text
            assert services.listening(url), system
        home = tmp_path / "airflow"  # DATA_DIR/airflow: the sandbox config's data_dir is the world's parent
        password = re.search(r"^login +admin / (\S+) +\(generated .* kept in (\S+)\)$", text, re.M)
        assert password and Path(password.group(2)) == home / "simple_auth_manager_passwords.json.generated", text
        token = call(f"http://127.0.0.1:{port}/auth/token", body={"username": "admin", "password": password.group(1)})[
            "access_token"
        ]

        deadline = time.monotonic() + 120
        while True:  # the dag-processor's first pass
            dags = call(f"http://127.0.0.1:{port}/api/v2/dags?limit=100", token)
            if {d["dag_id"] for d in dags["dags"]} >= DAG_IDS or time.monotonic() > deadline:
                break
            time.sleep(2)
        errors = call(f"http://127.0.0.1:{port}/api/v2/importErrors", token)
        assert errors["total_entries"] == 0, errors
        assert {d["dag_id"] for d in dags["dags"]} == DAG_IDS, dags
        assert all(d["owners"] == ["fase-data-engineering"] and d["description"] for d in dags["dags"]), dags
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len(descendants) >= 6  # 4 Airflow processes (and their workers), 2 simulators
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            for p in [*descendants, psutil.Process(proc.pid)]:  # what this test started: clean up, then fail
                if p.is_running():
                    p.kill()
            pytest.fail("fase airflow did not stop within 90 s of Ctrl-C")
        stderr.close()
    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(line)
    assert code == 0, "\n".join(rest) + (tmp_path / "fase-airflow.err").read_text()[-3000:]
    assert rest[-1] == "stopped", rest
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [(p.pid, p.cmdline()[:3]) for p in alive]
    assert not any(services.listening(url) for url in [*urls.values(), f"http://127.0.0.1:{port}"])
    print(f"fase airflow: ready after {ready:.0f} s, stopped after {time.monotonic() - started:.0f} s in all")
