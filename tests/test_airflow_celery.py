"""The deployment topology of docker-compose.yml, for real: Airflow 3 with the CeleryExecutor.

Metadata and Celery results on a fresh PostgreSQL database, the broker on the local Redis, and
`airflow api-server`, `scheduler`, `dag-processor` and `celery worker` as separate processes.
`fase_sync_sat` is triggered against a tiny sandbox, runs on the Celery worker into a PostgreSQL
warehouse, and its staging asset schedules `fase_link_publish`.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
import yaml

from hub import pipeline
from sandbox import services, world
from tests.servers import PG_ADMIN_URL, fresh_database, require_server
from warehouse.models import RAW_TABLES

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REDIS_DB = 13          # a Redis database of this test's own; flushed before and after
RUN_TIMEOUT = 300


def wait_until(what: str, check: Callable[[], object], timeout: float, topology: "Topology") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        topology.check_alive()
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{topology.logs()}")


class Topology:
    """The Airflow processes of one test; every one is stopped at the end, its log kept for failure messages."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.procs = env, log_dir, {}

    def run(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            pytest.fail(f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen([AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            pytest.fail(f"Airflow processes exited: {dead}\n{self.logs()}")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, tail: int = 4000) -> str:
        return "\n".join(f"----- {name}.log (tail) -----\n{self.log(name)[-tail:]}" for name in self.procs)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _redis():
    import redis

    return redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)


@pytest.fixture
def servers():
    require_server("PostgreSQL", "127.0.0.1", 5432)
    require_server("Redis", "127.0.0.1", 6379)
    _redis().flushdb()
    with fresh_database(PG_ADMIN_URL, "fase_airflow") as meta_url, fresh_database(PG_ADMIN_URL, "fase_wh") as wh_url:
        yield meta_url, wh_url
    _redis().flushdb()


@pytest.fixture
def sandbox(tmp_path, servers, monkeypatch):
    """A tiny world with its simulators, and a hub config whose warehouse is the fresh PostgreSQL database."""
    folder = tmp_path / "sandbox"
    world.generate(folder, 60, seed=9)
    wh = sa.make_url(servers[1])
    with services.running(folder) as urls:
        path = services.write_hub_config(folder, urls, tmp_path / "hub.yaml",
                                         wh.set(password=None).render_as_string(hide_password=False))
        if wh.password:   # a hub config never holds a password: name its variable
            monkeypatch.setenv("FASE_TEST_WAREHOUSE_PASSWORD", wh.password)
            data = yaml.safe_load(path.read_text())
            data["warehouse"]["password_env"] = "FASE_TEST_WAREHOUSE_PASSWORD"
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        yield folder, str(path)


def airflow_environment(home: Path, meta_url: str, config: str) -> dict[str, str]:
    """What docker-compose.yml gives every Airflow container, pointed at this machine's servers."""
    meta = sa.make_url(meta_url).render_as_string(hide_password=False)
    api_port, log_port = services.free_port(0), services.free_port(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": meta.replace("postgresql+psycopg://", "postgresql+psycopg_async://"),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "FASE_CONFIG": config,
    })
    return env


def _require_working_celery_executor(env: dict[str, str]) -> None:
    """Fail early, with the cause, when the installed celery and Celery provider cannot work together."""
    done = subprocess.run([sys.executable, "-c", "import airflow.providers.celery.executors.celery_executor_utils"],
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode:
        pytest.fail("the CeleryExecutor cannot be imported with the locked packages (celery 5.7 dropped "
                    "celery.backends.database.retry, which apache-airflow-providers-celery imports: pin "
                    "celery<5.7 in pyproject.toml and requirements.lock):\n" + done.stderr[-2000:])


def test_celery_topology_runs_the_sync_dag_and_its_asset_chain(tmp_path, servers, sandbox):
    meta_url, _ = servers
    folder, config = sandbox
    (tmp_path / "logs").mkdir()
    topology = Topology(airflow_environment(tmp_path / "airflow", meta_url, config), tmp_path / "logs")
    meta = sa.create_engine(meta_url)
    started = time.monotonic()
    try:
        _require_working_celery_executor(topology.env)
        topology.run("db", "migrate")
        topology.start("api-server", "api-server", "--port", topology.env["AIRFLOW__API__PORT"])
        topology.start("scheduler", "scheduler")
        topology.start("dag-processor", "dag-processor")
        topology.start("worker", "celery", "worker")

        def dags_parsed():
            with meta.connect() as conn:
                return conn.execute(sa.text("SELECT COUNT(*) FROM serialized_dag WHERE dag_id IN "
                                            "('fase_sync_sat', 'fase_link_publish')")).scalar_one() == 2
        wait_until("the dag-processor to serialize the DAGs", dags_parsed, 180, topology)
        topology.run("dags", "unpause", "fase_sync_sat")
        topology.run("dags", "unpause", "fase_link_publish")
        topology.run("dags", "trigger", "fase_sync_sat")

        def run_state(dag_id: str, run_type: str | None = None):
            of_type = " AND run_type = :t" if run_type else ""
            with meta.connect() as conn:
                row = conn.execute(sa.text(f"SELECT run_id, state FROM dag_run WHERE dag_id = :d{of_type} "
                                           "ORDER BY id DESC LIMIT 1"), {"d": dag_id, "t": run_type}).first()
            return row if row and row.state in ("success", "failed") else None
        sync_run = wait_until("fase_sync_sat to finish", lambda: run_state("fase_sync_sat"), RUN_TIMEOUT, topology)
        assert sync_run.state == "success", topology.logs()

        with meta.connect() as conn:
            tis = conn.execute(sa.text(
                "SELECT task_id, state, queue, hostname, external_executor_id FROM task_instance "
                "WHERE dag_id = 'fase_sync_sat' AND run_id = :r"), {"r": sync_run.run_id}).all()
        assert {t.task_id: t.state for t in tis} == {"sync": "success", "stage": "success"}
        assert all(t.external_executor_id and t.queue == "default" for t in tis), tis   # Celery task ids
        assert "execute_workload" in topology.log("worker") and "succeeded" in topology.log("worker"), \
            topology.log("worker")[-4000:]

        _, engine = pipeline.open_hub(config)
        with engine.connect() as conn:
            counts = {stream: conn.execute(sa.select(sa.func.count(sa.distinct(t.c.source_id)))).scalar_one()
                      for (system, stream), t in RAW_TABLES.items() if system == "sat"}
        assert counts == world.status(folder)["records"]["sat"]

        def asset_triggered_run():
            with meta.connect() as conn:
                return conn.execute(sa.text("SELECT run_id FROM dag_run WHERE dag_id = 'fase_link_publish' "
                                            "AND run_type = 'asset_triggered'")).first()
        # the staging asset written on the worker schedules the linkage DAG (its full run is covered by test_dags)
        wait_until("the staging asset to create a fase_link_publish run", asset_triggered_run, 120, topology)
    finally:
        topology.stop()
        meta.dispose()
        print(f"Celery topology test: {time.monotonic() - started:.0f} s")
