"""An embedded Airflow for the demo and the tests: SQLite metadata in a home folder, the repo's dags/, in-process runs.

Airflow reads its configuration once, when `airflow` is first imported; `activate` therefore sets
the environment and must run before anything in this process imports Airflow.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"


def local_environment(home: Path, dags_folder: Path = DAGS_FOLDER) -> dict[str, str]:
    """Environment of an embedded Airflow: metadata in `home`/airflow.db, the repo's DAGs, no examples, quiet logs."""
    home = Path(home).resolve()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dags_folder).resolve()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


def activate(home: Path, dags_folder: Path = DAGS_FOLDER) -> None:
    """Point this process's Airflow at `home` and create or migrate its metadata database."""
    env = local_environment(home, dags_folder)
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != env["AIRFLOW_HOME"]:
        raise RuntimeError("Airflow was already imported with another AIRFLOW_HOME; activate() must come first")
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)
    from airflow.utils import db

    db.upgradedb()


def load_dags(dags_folder: Path = DAGS_FOLDER) -> dict:
    """Parse the DAG folder; raises when any file fails to import."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def run_dag(dag, *, retries: int | None = None) -> dict:
    """Run one DAG run in this process (`dag.test()`); returns its state and each task instance's state.

    `retries` overrides the tasks' retries (the demo fails fast rather than backing off for minutes).
    """
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    run = dag.test()
    tasks = {}
    never = datetime.max.replace(tzinfo=UTC)
    for ti in sorted(run.get_task_instances(), key=lambda t: (t.start_date or never, t.task_id, t.map_index)):
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        tasks[key] = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
    return {
        "dag_id": dag.dag_id,
        "run_id": run.run_id,
        "state": str(getattr(run.state, "value", run.state)),
        "tasks": tasks,
    }
