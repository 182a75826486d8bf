"""The deployment topology of docker-compose.yml, for real: Airflow 3 with the CeleryExecutor.

Metadata and Celery results on a fresh PostgreSQL database, the broker on the local Redis, and
`airflow api-server`, `scheduler`, `dag-processor` and `celery worker` as separate processes.
`fase_sync_sat` runs against a tiny sandbox on the Celery worker into a PostgreSQL warehouse, its
staging asset schedules `fase_link_publish`, and that whole run (plan, the mapped partitions,
finalize, publish) succeeds on the worker too. A failed or retrying task fails the test at once,
with the tail of its task log.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from hub import pipeline
from sandbox import services, world
from tests.servers import PG_ADMIN_URL, fresh_database, require_server
from warehouse.models import RAW_TABLES

# one work unit with the other Airflow topology on a parallel run (`make test`): never both at once (tests/conftest.py)
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REDIS_DB = 13
REDIS_PREFIX = f"fase_test_celery_{uuid.uuid4().hex[:10]}:"
"""Every broker key of this run (queues, bindings) carries it: another run of the suite on this machine, at the
same time, has keys of its own; this run's are deleted afterwards (a FLUSHDB would take the other's queue)."""
RUN_TIMEOUT = 240
CELERY_SUCCESS = re.compile(r"Task execute_workload\[[0-9a-f-]+\] succeeded")
"""The line a Celery worker logs when a task it ran succeeded."""


def wait_until(
    what: str, check: Callable[[], object], timeout: float, topology: Topology, details: Callable[[], str] = lambda: ""
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        topology.check_alive()
        time.sleep(0.5)  # a few cheap queries on the metadata database: a finished run is seen within half a second
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{details()}\n{topology.logs()}")


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
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

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


def _delete_broker_keys() -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    for key in client.scan_iter(REDIS_PREFIX + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def servers():
    require_server("PostgreSQL", "127.0.0.1", 5432)
    require_server("Redis", "127.0.0.1", 6379)
    try:
        with (
            fresh_database(PG_ADMIN_URL, "fase_airflow") as meta_url,
            fresh_database(PG_ADMIN_URL, "fase_wh") as wh_url,
        ):
            yield meta_url, wh_url
    finally:
        _delete_broker_keys()


@pytest.fixture
def sandbox(tmp_path, servers, monkeypatch):
    """A tiny world with its simulators, and a hub config whose warehouse is the fresh PostgreSQL database."""
    folder = tmp_path / "sandbox"
    world.generate(folder, 60, seed=9)
    wh = sa.make_url(servers[1])
    with services.running(folder) as urls:
        path = services.write_hub_config(
            folder, urls, tmp_path / "hub.yaml", wh.set(password=None).render_as_string(hide_password=False)
        )
        if wh.password:  # a hub config never holds a password: name its variable
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
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": meta.replace(
                "postgresql+psycopg://", "postgresql+psycopg_async://"
            ),
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": REDIS_PREFIX,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
            "FASE_CONFIG": config,
        }
    )
    return env


def _require_working_celery_executor(env: dict[str, str]) -> None:
    """Fail early, with the cause, when the installed celery and Celery provider cannot work together."""
    done = subprocess.run(
        [sys.executable, "-c", "import airflow.providers.celery.executors.celery_executor_utils"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        pytest.fail(
            "the CeleryExecutor cannot be imported with the locked packages (celery 5.7 dropped "
            "celery.backends.database.retry, which apache-airflow-providers-celery imports: pin "
            "celery<5.7 in pyproject.toml and requirements.lock):\n" + done.stderr[-2000:]
        )


FINISHED = ("success", "failed")
GONE_WRONG = ("failed", "up_for_retry", "upstream_failed", "up_for_reschedule", "removed")
"""Task instance states that fail the test at once: a retry would only be waited out (2 min, then 4, 8…)."""


class Metadata:
    """Queries on Airflow's metadata database, and the task logs the worker wrote under AIRFLOW_HOME/logs."""

    def __init__(self, url: str, home: Path):
        self.engine, self.log_root = sa.create_engine(url), home / "logs"

    def dags_parsed(self, dag_ids: tuple[str, ...]) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT COUNT(*) FROM serialized_dag WHERE dag_id IN :d").bindparams(
                    sa.bindparam("d", expanding=True)
                ),
                {"d": list(dag_ids)},
            ).scalar_one() == len(dag_ids)

    def first_run(self, dag_id: str, run_type: str):
        """The DAG's first run of `run_type` (run_id, state), or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT run_id, state FROM dag_run WHERE dag_id = :d AND run_type = :t ORDER BY id LIMIT 1"),
                {"d": dag_id, "t": run_type},
            ).first()

    def task_instances(self, dag_id: str, run_id: str) -> list:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT task_id, map_index, state, try_number, queue, hostname, external_executor_id "
                    "FROM task_instance WHERE dag_id = :d AND run_id = :r ORDER BY task_id, map_index"
                ),
                {"d": dag_id, "r": run_id},
            ).all()

    def task_log(self, dag_id: str, run_id: str, ti, tail: int = 40) -> str:
        """The last lines of every attempt's log of `ti`, errors with their exception (the logs are JSON lines)."""
        folder = self.log_root / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={ti.task_id}"
        if ti.map_index >= 0:
            folder /= f"map_index={ti.map_index}"
        attempts = sorted(folder.glob("attempt=*.log"))
        if not attempts:
            return f"(no task log under {folder})"
        return "\n".join(
            f"--- {path.relative_to(self.log_root)}\n"
            + "\n".join(_log_line(line) for line in path.read_text(errors="replace").splitlines()[-tail:])
            for path in attempts
        )

    def report(self, dag_id: str, run_id: str) -> str:
        """Each task instance of the run, and the log tail of every one that started and did not succeed."""
        tis = self.task_instances(dag_id, run_id)
        lines = [f"{dag_id} {run_id}:"] + [
            f"  {t.task_id}[{t.map_index}] {t.state} try {t.try_number} "
            f"celery task {t.external_executor_id} on {t.hostname}"
            for t in tis
        ]
        lines += [
            f"\n{t.task_id}[{t.map_index}] {t.state}:\n{self.task_log(dag_id, run_id, t)}"
            for t in tis
            if t.state not in ("success", None, "scheduled", "queued")
        ]
        return "\n".join(lines)


def _log_line(line: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    text = f"{entry.get('timestamp', '')} {entry.get('level', '')} {entry.get('event', '')}"
    for error in entry.get("error_detail") or ():
        frames = error.get("frames") or [{}]
        where = frames[-1]
        text += (
            f"\n    {error.get('exc_type')}: {error.get('exc_value')} "
            f"(at {where.get('filename')}:{where.get('lineno')} {where.get('name')})"
        )
    return text


def wait_for_run(meta: Metadata, dag_id: str, run_type: str, topology: Topology, timeout: float = RUN_TIMEOUT):
    """Wait until the DAG's first run of `run_type` finished; fail at once, with the task logs, when a task
    failed or waits for a retry."""

    def finished():
        run = meta.first_run(dag_id, run_type)
        if run is None:
            return None
        wrong = [t for t in meta.task_instances(dag_id, run.run_id) if t.state in GONE_WRONG]
        if wrong or run.state == "failed":
            pytest.fail(
                f"{dag_id} {run.run_id} is {run.state}, task instances went wrong: "
                f"{[(t.task_id, t.map_index, t.state) for t in wrong]}\n{meta.report(dag_id, run.run_id)}\n"
                f"{topology.logs(2000)}"
            )
        return run if run.state in FINISHED else None

    def details() -> str:
        run = meta.first_run(dag_id, run_type)
        return meta.report(dag_id, run.run_id) if run else f"no {run_type} run of {dag_id} was created"

    return wait_until(f"the first {run_type} run of {dag_id} to finish", finished, timeout, topology, details)


def assert_ran_on_celery(meta: Metadata, dag_id: str, run, expected: set[str]) -> list:
    """Every task instance of the run succeeded at its first try, each through the Celery executor (a Celery
    task id, queue default)."""
    tis = meta.task_instances(dag_id, run.run_id)
    report = meta.report(dag_id, run.run_id)
    assert run.state == "success", report
    assert {t.task_id for t in tis} == expected, report
    assert all(t.state == "success" and t.try_number == 1 for t in tis), report  # first try, no retries
    assert all(t.external_executor_id and t.queue == "default" for t in tis), report  # Celery task ids
    return tis


def test_celery_topology_runs_the_sync_dag_and_its_asset_chain(tmp_path, servers, sandbox):
    meta_url, _ = servers
    folder, config = sandbox
    (tmp_path / "logs").mkdir()
    home = tmp_path / "airflow"
    topology = Topology(airflow_environment(home, meta_url, config), tmp_path / "logs")
    meta = Metadata(meta_url, home)
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    try:
        _require_working_celery_executor(topology.env)
        topology.run("db", "migrate")
        phase("db migrate")
        topology.start("api-server", "api-server", "--port", topology.env["AIRFLOW__API__PORT"])
        topology.start("scheduler", "scheduler")
        topology.start("dag-processor", "dag-processor")
        topology.start("worker", "celery", "worker")
        wait_until(
            "the dag-processor to serialize the DAGs",
            lambda: meta.dags_parsed(("fase_sync_sat", "fase_link_publish")),
            180,
            topology,
        )
        phase("start + parse")
        topology.run("dags", "unpause", "fase_link_publish")
        # catchup=False: unpausing makes the scheduler create the run of the latest schedule (hh:05) at once;
        # a manual trigger on top would only queue a second sync run behind it (max_active_runs=1)
        topology.run("dags", "unpause", "fase_sync_sat")

        sync_run = wait_for_run(meta, "fase_sync_sat", "scheduled", topology)
        phase("fase_sync_sat")
        tis = assert_ran_on_celery(meta, "fase_sync_sat", sync_run, {"sync", "stage"})
        # the worker logs a task's success after the task has reported it to the API server: wait for the lines
        wait_until(
            "the Celery worker to log its tasks' success",
            lambda: len(CELERY_SUCCESS.findall(topology.log("worker"))) >= len(tis),
            30,
            topology,
        )

        _, engine = pipeline.open_hub(config)
        with engine.connect() as conn:
            counts = {
                stream: conn.execute(sa.select(sa.func.count(sa.distinct(t.c.source_id)))).scalar_one()
                for (system, stream), t in RAW_TABLES.items()
                if system == "sat"
            }
        assert counts == world.status(folder)["records"]["sat"]

        # the staging asset written on the worker schedules the linkage DAG, which runs there too
        link_run = wait_for_run(meta, "fase_link_publish", "asset_triggered", topology)
        phase("fase_link_publish")
        tis = assert_ran_on_celery(
            meta, "fase_link_publish", link_run, {"link_plan", "link_partition", "link_finalize", "publish"}
        )
        partitions = [t for t in tis if t.task_id == "link_partition"]
        assert partitions and all(t.map_index >= 0 for t in partitions), meta.report(
            "fase_link_publish", link_run.run_id
        )

        with engine.connect() as conn:
            staged = conn.execute(sa.text("SELECT COUNT(*) FROM stg_person")).scalar_one()
            crosswalk = conn.execute(sa.text("SELECT COUNT(*) FROM beneficiary_crosswalk")).scalar_one()
            beneficiaries = conn.execute(sa.text("SELECT COUNT(*) FROM beneficiary")).scalar_one()
        assert staged > 0 and crosswalk == staged, (staged, crosswalk)
        assert beneficiaries > 0
    finally:
        topology.stop()
        meta.engine.dispose()
        phase("stop")
        print(f"Celery topology test: {time.monotonic() - started:.0f} s {phases}")
