"""What `fase` says when it cannot work (issue 17): one line and a documented exit code, the traceback only with
--debug; an unreachable warehouse is named without its password; commands that only read never migrate; a sandbox
source that is not there says to start the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from hub import exit_codes, pipeline
from hub.cli import cli
from hub.source_check import SourceUnavailable
from sandbox.services import free_port
from tests.servers import postgres_database
from warehouse import db, locks

ROOT = Path(__file__).resolve().parents[1]
READERS = (["review", "list"], ["quarantine", "list"], ["runs"], ["api-keys", "list"], ["audit"])
"""Commands that only read the warehouse."""


def write_config(path: Path, warehouse_url: str, **extra) -> Path:
    folder = path.parent
    data = {
        "mode": "sandbox",
        "warehouse": {"url": warehouse_url, **extra.pop("warehouse", {})},
        "http": {"timeout_seconds": 2, "max_attempts": 1, "backoff_base_seconds": 0, "backoff_max_seconds": 0},
        "sources": {
            "sat": {"base_url": f"http://127.0.0.1:{free_port(0)}"},
            "polis": {"base_url": f"http://127.0.0.1:{free_port(0)}"},
            "anagrafe": {"folder": str(folder / "anagrafe")},
            "volontariato": {"url": f"sqlite:///{folder / 'volontariato.db'}"},
            "contabilita": {"url": f"sqlite:///{folder / 'contabilita.db'}"},
        },
        **extra,
    }
    path.write_text(yaml.safe_dump(data))
    return path


def fase(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`fase ARGS` in a process of its own, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_warehouse_url(request, tmp_path):
    """A warehouse URL whose database exists and is empty: a SQLite file to be, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        yield from postgres_database("fase_ro")


def test_help_lists_the_exit_codes():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "Exit codes:" in out
    for code, meaning in exit_codes.TABLE:
        assert f"{code:>3}  {meaning}" in out, out
    assert exit_codes.BUSY == locks.EXIT_BUSY


@pytest.mark.parametrize("command", [["review", "list"], ["quarantine", "list"], ["sync", "sat"]])
def test_an_unreachable_warehouse_is_one_line_naming_url_and_field(tmp_path, command):
    port = free_port(0)  # nothing listens there
    config = write_config(
        tmp_path / "hub.yaml",
        f"postgresql+psycopg://fase@127.0.0.1:{port}/fase",
        warehouse={"password_env": "FASE_TEST_WAREHOUSE_PASSWORD"},
    )
    secret = {"FASE_TEST_WAREHOUSE_PASSWORD": "s3cret-Pa55"}
    done = fase("--config", str(config), *command, env=secret)
    assert done.returncode == exit_codes.WAREHOUSE_UNREACHABLE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"postgresql+psycopg://fase:***@127.0.0.1:{port}/fase" in lines[0]
    assert f"warehouse.url in {config}" in lines[0] and "Connection refused" in lines[0]
    assert "s3cret" not in done.stderr + done.stdout

    debug = fase("--debug", "--config", str(config), *command, env=secret)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_the_head_revision_read_from_the_files_is_alembics():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(db.MIGRATIONS))
    assert db.head_revision() == script.get_current_head()
    assert db.revisions() == {r.revision: tuple(r._all_down_revisions) for r in script.walk_revisions()}


def test_read_only_commands_never_migrate(empty_warehouse_url, tmp_path):
    config = write_config(tmp_path / "hub.yaml", empty_warehouse_url)
    url = sa.make_url(empty_warehouse_url)
    if url.get_backend_name() == "sqlite":  # no file yet: a reader must not leave an empty one behind
        for command in READERS:
            out = CliRunner().invoke(cli, ["--config", str(config), *command])
            assert out.exit_code == exit_codes.WAREHOUSE_NOT_CURRENT, (command, out.output)
            assert "has no schema yet: run `fase db upgrade`" in out.output
        assert not Path(url.database).exists()

    engine = db.make_engine(empty_warehouse_url)
    head = db.head_revision()
    from alembic.script import ScriptDirectory

    behind = ScriptDirectory(str(db.MIGRATIONS)).get_revision(head).down_revision
    db.upgrade(engine, behind)
    for command in READERS:
        out = CliRunner().invoke(cli, ["--config", str(config), *command])
        assert out.exit_code == exit_codes.WAREHOUSE_NOT_CURRENT, (command, out.output)
        assert f"is at revision {behind}, this code needs {head}: run `fase db upgrade`" in out.output
        assert db.current_revision(engine) == behind, command  # nothing migrated

    assert CliRunner().invoke(cli, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    assert db.current_revision(engine) == head
    for command in READERS:
        out = CliRunner().invoke(cli, ["--config", str(config), *command])
        assert out.exit_code == 0, (command, out.output)
    engine.dispose()


def test_a_sandbox_source_that_is_not_there_says_to_start_the_sandbox(tmp_path):
    config = write_config(tmp_path / "hub.yaml", f"sqlite:///{tmp_path / 'warehouse.db'}")
    out = CliRunner().invoke(cli, ["--config", str(config), "sync", "--all"])
    assert out.exit_code == exit_codes.FAILED
    for system in ("sat", "polis", "anagrafe", "volontariato", "contabilita"):
        line = next(line for line in out.output.splitlines() if line.startswith(f"{system}: FAILED"))
        assert "start the sandbox with `fase sandbox up`" in line, line
    assert not (tmp_path / "volontariato.db").exists() and not (tmp_path / "contabilita.db").exists()

    with pytest.raises(SourceUnavailable, match="sat simulator does not answer at http://127.0.0.1:"):
        pipeline.sync("sat", config_path=str(config), trigger="airflow")  # the Airflow task's path


def test_any_other_error_is_one_line_unless_debug(tmp_path):
    missing = tmp_path / "no-world"
    out = CliRunner().invoke(cli, ["sandbox", "status", "--folder", str(missing)])
    assert out.exit_code == exit_codes.FAILED
    assert out.output.startswith("error: FileNotFoundError: ") and "--debug" in out.output
    assert len(out.output.strip().splitlines()) == 1
    debug = CliRunner().invoke(cli, ["--debug", "sandbox", "status", "--folder", str(missing)])
    assert isinstance(debug.exception, FileNotFoundError)
