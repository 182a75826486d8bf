"""Shared fixtures: fresh PostgreSQL / MariaDB databases per test session, temp warehouses, the demo run; the work
units of a parallel run (`make test`: pytest-xdist, `-n 2 --dist loadgroup`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import mariadb_database, postgres_database

GROUPS = {
    # Airflow topologies (api-server, scheduler, dag-processor, workers): one at a time
    "tests/test_airflow_celery.py": "airflow",
    "tests/test_airflow_command.py": "airflow",
    # the readers of the session's `demo` run: on one worker, so that it runs once
    "tests/test_analyst_path.py": "demo",
    "tests/test_dags.py::test_demo_runs_end_to_end": "demo",
}
"""Tests (module, or module::test) that form one work unit of a parallel run with others; any other test's unit is
its module."""
FIRST = (
    "airflow",
    "tests/test_chaos.py",
    "demo",
    "tests/test_console.py",
    "tests/test_api_schemathesis.py",
    "tests/test_profile_publish.py",
    "tests/test_api_cli.py",
    "tests/test_bad_update.py",
    "tests/test_api.py",
)
"""The longest work units, started first: a long unit started last would leave the other worker idle."""


def work_unit(nodeid: str) -> str:
    """The work unit of a test on a parallel run: its group (GROUPS), else its module. One worker runs a unit's
    tests in order, so that a module-scoped world is built once."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # an `xdist_group` suffix some pytest-xdist versions add
        nodeid = nodeid[: nodeid.rfind("@")]
    module, _, name = nodeid.partition("::")
    return GROUPS.get(f"{module}::{name.split('[')[0]}") or GROUPS.get(module) or module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with the units of `work_unit`. (pytest-xdist's own loadgroup reads `xdist_group` marks by
    renaming Item._nodeid, which pytest 9 no longer reads: every test became a unit of its own.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnits(config, log)


def pytest_collection_modifyitems(config, items):
    """On a worker of a parallel run under `--dist loadgroup`, the longest units first (FIRST): the scheduler hands
    out units in the order the workers collected them. A serial run keeps pytest's order."""
    if not getattr(config.option, "loadgroup", False):  # set on an xdist worker under --dist loadgroup
        return

    def rank(item) -> int:
        unit = work_unit(item.nodeid)
        return FIRST.index(unit) if unit in FIRST else len(FIRST)

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
    its folder and its output. Its tests only read it; on a parallel run they form one work unit ("demo" in GROUPS),
    so that it runs once."""
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
