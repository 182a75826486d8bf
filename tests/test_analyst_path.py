"""The analyst's path on the demo world (`fase demo`: 2,000 people, seed 42, deterministic): the README's result
tables are what the demo produces (`fase docs readme-tables --check`), and the notebook of docs/analyst.md runs on
it and draws its chart. (On PostgreSQL, as the analysts' role in `fase_marts`: tests/test_privacy_roles.py.)"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
FASE = str(Path(sys.executable).with_name("fase"))


@pytest.fixture(scope="module")
def demo_warehouse(demo) -> str:
    """The warehouse `make demo` leaves (the session's `demo` run, tests/conftest.py)."""
    assert demo.done.returncode == 0, demo.done.stdout[-3000:] + demo.done.stderr[-3000:]
    return demo.warehouse_url


def readme_tables(url: str, readme: Path):
    args = [FASE, "docs", "readme-tables", "--warehouse", url, "--readme", str(readme), "--check"]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_readme_tables_are_the_demo_worlds(demo_warehouse, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    same = readme_tables(demo_warehouse, readme)
    assert same.returncode == 0, same.stdout[-3000:] + same.stderr
    stale = readme.read_text().replace(
        "| 1 | Households resident in Florence in housing poverty | ",
        "| 1 | Households resident in Florence in housing poverty | 1",
    )
    readme.write_text(stale)
    differs = readme_tables(demo_warehouse, readme)
    assert differs.returncode == 1 and "fase docs readme-tables" in differs.stderr and "-| 1 |" in differs.stdout
    assert readme.read_text() == stale  # --check changes nothing


def test_the_notebook_runs_on_the_demo_world(demo_warehouse, tmp_path):
    env = {**os.environ, "FASE_ANALYST_URL": demo_warehouse, "FASE_NOTEBOOK_OUT": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "analyst_notebook.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    chart = (tmp_path / "housing_flows.html").read_text()
    assert (
        "Temporary housing: stays started and ended per month" in chart and '<script src="http' not in chart
    )  # offline
    with open(tmp_path / "housing_flows.csv") as f:
        monthly = list(csv.DictReader(f))
    engine = sa.create_engine(demo_warehouse)
    with engine.connect() as conn:
        expected = dict(conn.execute(sa.text("SELECT flow, SUM(stays) FROM mart_housing_flow GROUP BY flow")).all())
        share = conn.execute(
            sa.text("SELECT share_autonomy FROM mart_household_autonomy WHERE cohort = 'all'")
        ).scalar()
    assert sum(int(m["entry"]) for m in monthly) == expected["entry"] > 0
    assert sum(int(m["exit"]) for m in monthly) == expected["exit"]
    assert f"autonomy share {round(float(share), 4)}" in done.stdout
