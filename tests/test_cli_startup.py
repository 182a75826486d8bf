"""`fase` starts fast (issue 17): `--help` loads none of the heavy libraries, and commands that only read load
neither dataframes, the linkage's classifiers, the quality suites nor Airflow. The timings themselves are printed
by bench/cli_startup.py, never asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from warehouse import db

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "pandas",
    "numpy",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "yaml",
    "pandera",
    "great_expectations",
    "recordlinkage",
    "sklearn",
    "airflow",
    "fastapi",
    "rich",
)


def loaded_after(args: list[str], cwd: Path | None = None) -> list[str]:
    """Run `fase ARGS` in a fresh interpreter; the HEAVY modules it had loaded when the command was done."""
    code = (
        "import sys\n"
        "from hub.cli import cli\n"
        f"code = cli({args!r}, standalone_mode=False)\n"
        "assert not code, code\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.splitlines()[-1]
    assert last.startswith("LOADED:"), done.stdout[-2000:]
    return [m for m in last.removeprefix("LOADED:").split(",") if m]


def test_help_loads_no_heavy_library():
    assert loaded_after(["--help"]) == []


@pytest.fixture
def config(tmp_path) -> Path:
    warehouse = f"sqlite:///{tmp_path / 'warehouse.db'}"
    db.upgrade(db.make_engine(warehouse))
    path = tmp_path / "hub.yaml"
    sources = {
        "sat": {"base_url": "http://127.0.0.1:1"},
        "polis": {"base_url": "http://127.0.0.1:1"},
        "anagrafe": {"folder": str(tmp_path)},
        "volontariato": {"url": f"sqlite:///{tmp_path / 'v.db'}"},
        "contabilita": {"url": f"sqlite:///{tmp_path / 'c.db'}"},
    }
    path.write_text(yaml.safe_dump({"warehouse": {"url": warehouse}, "sources": sources}))
    return path


@pytest.mark.parametrize("command", [["db", "current"], ["runs"], ["quarantine", "list"]])
def test_commands_that_only_read_load_no_dataframes_linkage_quality_or_airflow(config, command):
    loaded = loaded_after(["--config", str(config), *command])
    assert "sqlalchemy" in loaded  # they do read the warehouse
    assert not {"pandas", "recordlinkage", "sklearn", "great_expectations", "airflow", "alembic"} & set(loaded), loaded
