"""One writer per step (issue 14 §1–2), on SQLite and PostgreSQL: a second run of a step is refused with one line
naming the running one (exit code 75) or waits; a killed run is marked abandoned by the next taker and never pins
the publish watermark; a review decision waits for a running link; errors are stored scrubbed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import cli
from matching import pipeline
from matching.review import decide_pair
from tests.identity_data import BRIDGE_A, BRIDGE_B, background, key, stage
from tests.stage_data import fresh_warehouse
from warehouse import locks
from warehouse.models import PipelineRun
from warehouse.runs import abandon_dead_runs, begin_run, recorded_run
from warehouse.scrub import scrub, summarise_error
from warehouse.types import utcnow

R = PipelineRun.__table__


@pytest.fixture
def engine(warehouse_url):
    return fresh_warehouse(warehouse_url)


def fase(warehouse_url: str, tmp_path, *args: str):
    """Run the CLI on a configuration naming this warehouse."""
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{warehouse_url}'}}\nsources:\n  sat: {{base_url: 'http://x'}}\n"
        f"  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def run_row(engine, run_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(R).where(R.c.run_id == run_id)).first()


def holder_in_subprocess(url: str, step: str, system: str | None = None) -> subprocess.Popen:
    """A process that takes the step's lock, says its run id and then sleeps (until it is killed)."""
    code = (
        "import sys, time; from warehouse import db; from warehouse.runs import begin_run\n"
        f"run_id, held = begin_run(db.make_engine({url!r}), {step!r}, {system!r}, trigger='test')\n"
        "print(run_id, flush=True); time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    line = proc.stdout.readline()
    assert line.strip().isdigit(), line
    proc.run_id = int(line)
    return proc


def test_a_second_run_of_a_step_is_refused_naming_the_running_one(engine, warehouse_url, tmp_path):
    stage(engine, background(40))
    holder = holder_in_subprocess(warehouse_url, "link")
    try:
        with pytest.raises(locks.StepBusy) as busy:
            pipeline.link(engine, "full", trigger="test")
        message = str(busy.value)
        assert f"run {holder.run_id}" in message and f"pid {holder.pid}" in message and locks.this_host() in message
        assert "started" in message and "link is busy" in message
        with engine.connect() as conn:  # the refused run left nothing behind
            assert conn.execute(sa.select(sa.func.count()).select_from(R).where(R.c.step == "link")).scalar() == 1
            assert conn.execute(sa.text("SELECT COUNT(*) FROM linkage_run")).scalar() == 0

        result = fase(warehouse_url, tmp_path, "link", "--full")
        assert result.exit_code == locks.EXIT_BUSY, result.output
        assert result.output.count("\n") == 1 and f"link is busy: link (test) (run {holder.run_id})" in result.output
        started = time.monotonic()
        with pytest.raises(locks.StepBusy):
            pipeline.link(engine, trigger="test", wait=1.5)  # --wait is bounded
        assert 1.4 < time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed: the next link takes over and marks it abandoned with the reason
    summary = pipeline.link(engine, "full", trigger="test")
    dead = run_row(engine, holder.run_id)
    assert dead.status == "abandoned" and f"process {holder.pid}" in dead.error and "gone" in dead.error
    assert run_row(engine, summary["run_id"]).status == "success"
    assert locks.holders(engine) == []


def test_two_links_started_together_make_one_set_of_beneficiaries(engine):
    """The reviewer's reproduction: two full links a moment apart. One runs, the other is refused; nothing
    is linked twice and the change feed announces each beneficiary once."""
    stage(engine, background(120))
    outcomes: list = []

    def run():
        try:
            outcomes.append(pipeline.link(engine, "full", trigger="test"))
        except locks.StepBusy as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    done = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, locks.StepBusy)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    with engine.connect() as conn:
        created = conn.execute(sa.text("SELECT COUNT(*) FROM beneficiary_change WHERE kind = 'created'")).scalar()
        active = conn.execute(sa.text("SELECT COUNT(*) FROM beneficiary WHERE status = 'active'")).scalar()
        kinds = conn.execute(sa.text("SELECT DISTINCT kind FROM beneficiary_change")).scalars().all()
    assert created == active == done[0]["beneficiaries"] and kinds == ["created"]


def test_a_waiting_run_starts_when_the_holder_finishes(engine):
    run_id, held = begin_run(engine, "publish", trigger="test")
    release = threading.Timer(0.8, held.release)
    release.start()
    with recorded_run(engine, "publish", trigger="test", wait=20) as summary:
        summary["ok"] = True
    assert run_row(engine, summary["run_id"]).status == "success"
    assert summary["run_id"] > run_id


def test_steps_lock_per_system_and_a_killed_sync_is_abandoned(engine, warehouse_url):
    holder = holder_in_subprocess(warehouse_url, "sync", "sat")
    try:
        with pytest.raises(locks.StepBusy, match="sync:sat is busy"), recorded_run(engine, "sync", "sat"):
            pass
        with recorded_run(engine, "sync", "polis") as s:  # another system: its own lock
            pass
        with recorded_run(engine, "stage", "sat") as t:  # another step of the same system: its own lock
            pass
        assert run_row(engine, s["run_id"]).status == run_row(engine, t["run_id"]).status == "success"
    finally:
        holder.kill()
        holder.wait()
    with recorded_run(engine, "sync", "sat") as s:
        pass
    assert run_row(engine, holder.run_id).status == "abandoned"


def test_a_holder_on_another_host_is_abandoned_when_its_session_ends_or_its_lease_expires(engine):
    run_id, held = begin_run(engine, "link", trigger="test")
    held.stop_heartbeat()
    with engine.begin() as conn:  # pretend it runs on another machine (its pid means nothing here)
        conn.execute(sa.update(locks.LOCK).values(host="worker-7", pid=4242))
    with pytest.raises(locks.StepBusy, match="worker-7 pid 4242"):
        locks.acquire(engine, "link", holder="test")
    if engine.dialect.name == "postgresql":  # its database session ends with its process: dead at once
        held._end_session()
        reason = "database session of pid 4242 on worker-7 ended"
    else:  # SQLite: no heartbeat for longer than its lease
        with engine.begin() as conn:
            past = utcnow() - timedelta(seconds=locks.LEASE_SECONDS + 5)
            conn.execute(sa.update(locks.LOCK).values(heartbeat_at=past))
        reason = "lease expired"
    taken = locks.acquire(engine, "link", holder="test")
    assert run_row(engine, run_id).status == "abandoned" and reason in run_row(engine, run_id).error
    taken.release()


def test_a_dead_run_does_not_pin_the_publish_watermark(engine):
    from warehouse.profile.publish import publish

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with engine.begin() as conn:  # a stage run whose process was killed: still `running`, no heartbeat since
        run_id = conn.execute(
            sa.insert(R)
            .values(
                step="stage",
                system="sat",
                status="running",
                started_at=utcnow(),
                trigger="cli",
                host=locks.this_host(),
                pid=int(dead.stdout),
                heartbeat_at=utcnow(),
                lease_seconds=120,
            )
            .returning(R.c.run_id)
        ).scalar_one()
    summary = publish(None, engine, trigger="test")
    assert run_row(engine, run_id).status == "abandoned"
    assert summary["watermark"] >= summary["run_id"] - 1 > run_id - 1


def test_abandon_sweep_spares_live_runs(engine):
    run_id, held = begin_run(engine, "stage", "sat", trigger="test")
    assert abandon_dead_runs(engine) == []
    assert run_row(engine, run_id).status == "running" and run_row(engine, run_id).heartbeat_at is not None
    held.release()


def test_a_review_decision_waits_for_a_running_link(engine):
    stage(engine, background(40) + [BRIDGE_A, BRIDGE_B])
    pipeline.link(engine, trigger="test")
    run = pipeline.LinkageRun.plan(engine, trigger="test")
    try:
        with pytest.raises(locks.StepBusy, match=f"run {run.run_id}"):
            decide_pair(engine, key(BRIDGE_A), key(BRIDGE_B), match=False, by="steward")
    finally:
        run.finalize()
    decided = decide_pair(engine, key(BRIDGE_A), key(BRIDGE_B), match=False, by="steward")
    assert decided["kind"] == "cannot_link" and locks.holders(engine) == []


def test_linkage_run_steps_take_its_own_run_id_across_processes(engine):
    """Plan in one 'process', partitions and finalize load the run by id; a second plan is refused meanwhile."""
    stage(engine, background(60))
    run = pipeline.LinkageRun.plan(engine, partitions=2, trigger="test", store_work=True)
    run.detach()
    with pytest.raises(locks.StepBusy, match="between tasks"):
        pipeline.LinkageRun.plan(engine, trigger="test")
    for name in run.partitions:
        pipeline.LinkageRun.load(engine, run.run_id).score_partition(name)
    assert pipeline.LinkageRun.load(engine, run.run_id).finalize()["run_id"] == run.run_id
    assert run_row(engine, run.run_id).status == "success" and locks.holders(engine) == []


def test_failed_runs_store_a_scrubbed_one_line_reason(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t_people (cf VARCHAR(16) PRIMARY KEY, name VARCHAR(40))"))
        conn.execute(sa.text("INSERT INTO t_people VALUES ('RSSMRA80A01D612X', 'Mario Rossi')"))
    try:
        with pytest.raises(sa.exc.IntegrityError), recorded_run(engine, "sync", "sat") as s, engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO t_people VALUES (:cf, :n)"), {"cf": "RSSMRA80A01D612X", "n": "Mario Rossi"}
            )
    finally:  # the PostgreSQL database is shared by the test session
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE t_people"))
    error = run_row(engine, s["run_id"]).error
    assert error.startswith("IntegrityError") and "\n" not in error and len(error) <= 500
    for leak in ("INSERT", "[SQL", "parameters", "DETAIL", "RSSMRA80A01D612X", "Mario Rossi"):
        assert leak not in error, error


def test_a_step_facing_a_long_sqlite_write_is_refused_not_hung(tmp_path):
    """SQLite has one writer: while another process holds a long write transaction, a step reports the holder
    in seconds instead of waiting out the busy timeout and failing with "database is locked"."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = fresh_warehouse(url)
    holder = holder_in_subprocess(url, "stage", "sat")
    writer = engine.connect()
    writer.exec_driver_sql("BEGIN IMMEDIATE")  # a long write, as a stage's one transaction
    try:
        started = time.monotonic()
        with pytest.raises(locks.StepBusy, match="stage:sat is busy"), recorded_run(engine, "stage", "sat"):
            pass
        assert time.monotonic() - started < 30
    finally:
        writer.rollback()
        writer.close()
        holder.kill()
        holder.wait()


def test_scrub_masks_personal_data():
    text = "key RSSMRA80A01D612X iban IT60X0542811101000000123456 mail a.b@x.it tel +39 333 123 4567 run 12"
    assert scrub(text) == "key [cf] iban [iban] mail [email] tel [number] run 12"
    assert summarise_error(ValueError("bad\nsecond line")) == "ValueError: bad"


def test_fase_runs_lists_status_counts_and_abandoned_reasons(engine, warehouse_url, tmp_path):
    holder = holder_in_subprocess(warehouse_url, "stage", "anagrafe")
    holder.kill()
    holder.wait()
    with recorded_run(engine, "sync", "sat") as s:
        s["streams"] = [{"received": 3, "new": 2, "changed": 1, "deleted": 0}]
    result = fase(warehouse_url, tmp_path, "runs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["run", "step", "system", "status"]
    assert any("sync" in x and "success" in x and "received 3 new 2 changed 1" in x for x in lines)
    assert any("stage" in x and "abandoned" in x for x in lines)
    assert any(f"process {holder.pid}" in x for x in lines)
