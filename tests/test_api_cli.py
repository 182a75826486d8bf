"""`fase api-keys`, `fase audit` and `fase serve` end to end: a key created by the CLI works against a
served API (a uvicorn subprocess with two workers), its reads show in `fase audit`, revocation bites."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from api.clients import CLIENT_TTL
from hub.cli import cli
from tests.api_world import free_port
from tests.stage_data import fresh_warehouse
from warehouse.models import ACCESS_TABLES

ROOT = Path(__file__).resolve().parents[1]


def write_config(tmp_path: Path) -> tuple[Path, str]:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{url}'}}\nsources:\n  sat: {{base_url: 'http://x'}}\n"
        f"  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    return config, url


def fase(config: Path, *args: str) -> str:
    out = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert out.exit_code == 0, out.output
    return out.output


def wait_ready(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90  # two workers importing the API on a busy two-core machine
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            if requests.get(base + "/v1/ready", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("fase serve did not become ready")


def test_keys_serve_audit_revoke(tmp_path):
    config, url = write_config(tmp_path)
    engine = fresh_warehouse(url)
    out = fase(
        config,
        "api-keys",
        "create",
        "--name",
        "cartella Q4",
        "--role",
        "integration",
        "--purpose",
        "sync of case files",
        "--scope-system",
        "sat",
        "--rate-limit",
        "50",
    )
    client_id = re.search(r"client (cl_\w+)", out).group(1)
    key = re.search(r"key: (\S+)", out).group(1)
    with engine.connect() as conn:
        stored = conn.execute(ACCESS_TABLES["api_client"].select()).one()
    assert stored.key_hash.startswith("scrypt$") and key not in stored.key_hash and stored.key_prefix in key
    listing = fase(config, "api-keys", "list")
    assert client_id in listing and "integration" in listing and key not in listing and "scrypt" not in listing
    bad = CliRunner().invoke(
        cli, ["--config", str(config), "api-keys", "create", "--name", "x", "--role", "boss", "--purpose", "p"]
    )
    assert bad.exit_code != 0

    port = free_port()
    env = {**os.environ, "FASE_PSEUDONYM_KEY": "k"}
    command = [
        str(Path(sys.executable).with_name("fase")),
        "--config",
        str(config),
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        auth = {"Authorization": f"Bearer {key}", "X-User-Id": "op-9", "X-User-Location": "Q4"}
        assert requests.get(base + "/v1/changes", headers=auth).json()["items"] == []
        assert requests.get(base + "/v1/beneficiaries/B1", headers=auth).status_code == 403
        fase(config, "api-keys", "revoke", client_id)
        time.sleep(CLIENT_TTL)  # each process re-reads the client row after at most CLIENT_TTL seconds
        assert requests.get(base + "/v1/changes", headers=auth).status_code == 401
    finally:
        proc.terminate()
        proc.wait(15)
    log = proc.stderr.read().decode() + proc.stdout.read().decode()
    assert key not in log and "/v1/changes" not in log  # no keys, no access log by default

    audit = fase(config, "audit", "--client", client_id)
    assert "200" in audit and "403" in audit and "user=op-9@Q4" in audit and "/v1/changes" in audit
    assert fase(config, "audit", "--beneficiary", "B1").count("/v1/beneficiaries/B1") == 1
    assert "no audit rows" in fase(config, "audit", "--since", "2999-01-01")
    assert fase(config, "audit", "--limit", "1").count("\n") == 1


def test_console_of_fase_serve_with_a_steward_key_from_the_cli(tmp_path):
    """`fase api-keys create --role steward` (migration 0012 admits the role) and the console of `fase serve`:
    a session opened by one worker process is honoured by the other (the secret comes from the configuration's
    FASE_CONSOLE_SECRET), and /docs renders from this server alone."""
    config, url = write_config(tmp_path)
    fresh_warehouse(url)
    out = fase(
        config, "api-keys", "create", "--name", "Giulia (data steward)", "--role", "steward", "--purpose", "review"
    )
    key = re.search(r"key: (\S+)", out).group(1)
    assert "steward" in fase(config, "api-keys", "list")
    port = free_port()
    env = {**os.environ, "FASE_PSEUDONYM_KEY": "k", "FASE_CONSOLE_SECRET": "shared-by-both-workers"}
    command = [str(Path(sys.executable).with_name("fase")), "--config", str(config), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        s = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(base + "/console/login").text).group(1)
        r = s.post(base + "/console/login", data={"api_key": key, "csrf_token": token})
        assert r.status_code == 200 and r.url.endswith("/console/review")
        for _ in range(12):  # new connections: both workers answer some of them
            assert requests.get(base + "/console/review", cookies=s.cookies, allow_redirects=False).status_code == 200
        docs = requests.get(base + "/docs").text
        assert "/console/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs and "cdn." not in docs
    finally:
        proc.terminate()
        proc.wait(15)
