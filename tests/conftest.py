"""Shared fixtures: fresh PostgreSQL / MariaDB databases per test session, temp warehouses; the work units of a
parallel run (`make test`: pytest-xdist, `-n 2 --dist loadgroup`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import mariadb_database, postgres_database

FIRST = (
    "airflow",  # the xdist group of tests/test_airflow_*.py: Airflow topologies, one at a time
    "tests/test_chaos.py",
    "demo",  # the tests reading the `demo` fixture's run (tests/test_analyst_path.py, tests/test_dags.py)
    "tests/test_console.py",
    "tests/test_api_schemathesis.py",
    "tests/test_profile_publish.py",
    "tests/test_api_cli.py",
    "tests/test_bad_update.py",
    "tests/test_api.py",
)
"""The longest work units, started first: a long unit started last would leave the other worker idle."""


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    """A parallel run's work units: a test module's tests form one unit (run by one worker, in order, so that a
    module-scoped world is built once), unless marked `xdist_group`; the longest units come first (FIRST). A serial
    run keeps pytest's order."""
    if not getattr(config.option, "loadgroup", False):  # set on an xdist worker under --dist loadgroup
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))

    def rank(item) -> int:
        group = item.get_closest_marker("xdist_group").args[0]
        return FIRST.index(group) if group in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the order within a unit, and of the other units, is kept


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    yield from postgres_database()


@pytest.fixture(scope="session")
def mariadb_url():
    """URL of a fresh MariaDB database for this test session (dropped at the end)."""
    yield from mariadb_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    """A warehouse URL on each supported backend: a temp SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def source_pg_url():
    """A fresh PostgreSQL database for one test that plays a source system (dropped afterwards)."""
    yield from postgres_database("fase_src")


@pytest.fixture
def source_mariadb_url():
    """A fresh MariaDB database for one test that plays a source system (dropped afterwards)."""
    yield from mariadb_database("fase_src")


@dataclass
class DemoRun:
    folder: Path
    done: subprocess.CompletedProcess

    @property
    def warehouse_url(self) -> str:
        return f"sqlite:///{self.folder / 'var' / 'warehouse.db'}"


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoRun:
    """`fase demo` as `make demo` runs it (2,000 people, seed 42) in a fresh temporary folder, once per session:
    its folder and its output. Its tests only read it; on a parallel run they form one work unit (xdist_group
    "demo"), so that it runs once."""
    folder = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FASE_"))}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("fase")), "demo", "--size", "2000", "--seed", "42"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return DemoRun(folder, done)
