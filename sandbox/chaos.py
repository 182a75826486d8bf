"""Chaos against the hub, through its CLI only: random SIGKILLs of sync, stage, link and publish, overlapping runs
of each, source faults — then the warehouse must equal an undisturbed run's.

`run_chaos` links one sandbox world twice: into a reference warehouse with the plain pipeline (`fase sync --all`,
`stage --all`, `link`, `publish`), and into a chaos warehouse through random rounds — a step started as a `fase`
subprocess, killed (SIGKILL) once its run is recorded, a second run of the same step started beside it (it must be
refused, exit 75) — then the plain pipeline once more to converge. It compares current raw versions,
staging, the crosswalk (as clusters of source records) and the golden records and facts (through those clusters),
counts runs left `running`, and runs `fase reconcile --all`.
Nothing here imports the hub: it reads both warehouses with SQL.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from sandbox import services, world

EXIT_BUSY = 75
SYSTEMS = ("sat", "anagrafe", "polis", "volontariato", "contabilita")
IGNORED = {"run_id", "raw_id", "superseded_by", "quarantine_id", "recorded_run_id", "linked_run_id", "linked_at"}
BY_BENEFICIARY = ("golden_record", "fact_stay", "fact_payment")
"""Tables keyed by beneficiary id: compared through the crosswalk's clusters, since an id depends on the history
of merges and splits that led to a cluster (identity.py), not only on the cluster."""
"""Columns that name runs, row ids or when a run wrote: they differ between two warehouses holding the same data."""
STAGING = (
    "stg_person",
    "stg_stay",
    "stg_residence",
    "stg_placement",
    "stg_volunteer_service",
    "stg_payment",
    "stg_payment_status",
)


@dataclass
class ChaosReport:
    rounds: int = 0
    kills: int = 0
    overlaps: int = 0
    refused: int = 0
    ran_together: int = 0  # pairs of runs of one lock scope whose lifetimes overlapped (must be 0)
    lost: int = 0  # current raw records of the reference missing from the chaos warehouse
    duplicates: int = 0  # raw versions beyond the reference's (a record written twice)
    mismatches: dict[str, int] = field(default_factory=dict)  # table -> rows differing from the reference
    left_running: int = 0
    reconcile_failed: bool = False
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (
            self.lost or self.duplicates or any(self.mismatches.values()) or self.left_running or self.reconcile_failed
        )

    def lines(self) -> list[str]:
        mismatched = sum(self.mismatches.values())
        return [
            f"rounds {self.rounds}, {self.seconds:.0f} s",
            f"kills survived            {self.kills}",
            f"overlapping runs refused  {self.refused} of {self.overlaps} (ran together: {self.ran_together})",
            f"records lost              {self.lost}",
            f"duplicates                {self.duplicates}",
            f"rows differing            {mismatched}" + (f" {self.mismatches}" if mismatched else ""),
            f"runs left running         {self.left_running}",
            f"reconciliation mismatches {int(self.reconcile_failed)}",
        ]


class Hub:
    """The `fase` CLI on one configuration."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        self.fase = str(Path(sys.executable).with_name("fase"))

    def start(self, *args: str) -> subprocess.Popen:
        with self.log.open("a") as out:
            out.write(f"$ fase {' '.join(args)}\n")
            out.flush()
            return subprocess.Popen([self.fase, "--config", str(self.config), *args], stdout=out, stderr=out)

    def run(self, *args: str, check: bool = True) -> int:
        code = self.start(*args).wait()
        if check and code != 0:
            raise RuntimeError(f"fase {' '.join(args)} exited {code} (see {self.log})")
        return code

    def pipeline(self) -> None:
        """sync, stage, link and publish everything; the link refits its model, so that the identities are a
        function of the data (a model fitted by a chaos round on part of the data would be kept otherwise)."""
        self.run("sync", "--all", "--wait", "60")
        self.run("stage", "--all", "--no-validate", "--wait", "60")
        self.run("link", "--refit", "--wait", "60")
        self.run("publish", "--wait", "60")


def _steps() -> list[tuple[str, ...]]:
    return (
        [("sync", s) for s in SYSTEMS]
        + [("stage", s, "--no-validate") for s in SYSTEMS]
        + [("link",), ("link", "--full"), ("publish",)]
    )


def _wait_for_lock(engine: sa.Engine, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """Until `proc` holds a step lock (True) or ends (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if _holds_lock(engine, proc):
            return True
        time.sleep(0.02)
    return False


def _holds_lock(engine: sa.Engine, proc: subprocess.Popen) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text("SELECT COUNT(*) FROM step_lock WHERE pid = :p"), {"p": proc.pid}).scalar())


def chaos_rounds(hub: Hub, engine: sa.Engine, rounds: int, rng: random.Random, report: ChaosReport) -> None:
    """Random steps, each frozen (SIGSTOP) a moment after it took its lock: then a second run of the same step is
    started beside it (it must be refused, exit 75), and the first is killed (SIGKILL: the next run of the step
    must find it dead) or let go on."""
    steps = _steps()
    for _ in range(rounds):
        step = rng.choice(steps)
        first = hub.start(*step)
        if _wait_for_lock(engine, first):
            time.sleep(rng.uniform(0.0, 0.3))
            first.send_signal(signal.SIGSTOP)
            if _holds_lock(engine, first):  # frozen while holding its lock (not already past its work)
                report.overlaps += 1
                report.refused += hub.start(*step).wait() == EXIT_BUSY
                if rng.random() < 0.7:
                    first.kill()
                    report.kills += 1
            if first.poll() is None:
                first.send_signal(signal.SIGCONT)
        first.wait()
        report.rounds += 1


def _rows(engine: sa.Engine, table: str, ids: dict[str, str] | None = None) -> list[tuple]:
    """The table's rows without run and row ids, as text; `ids` renames beneficiary ids (chaos -> reference)."""
    with engine.connect() as conn:
        cols = [c["name"] for c in sa.inspect(conn).get_columns(table) if c["name"] not in IGNORED]
        rows: list[dict] = [dict(r) for r in conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {table}")).mappings()]
    if ids is not None:
        rows = [{**r, "beneficiary_id": ids.get(r["beneficiary_id"], r["beneficiary_id"])} for r in rows]
    return sorted(tuple(str(r[c]) for c in cols) for r in rows)


def _clusters(reference: sa.Engine, chaos: sa.Engine) -> tuple[dict[str, str], int]:
    """(chaos beneficiary id -> reference id, records whose cluster differs): the two crosswalks compared as
    partitions of the source records."""
    q = sa.text("SELECT source_system, source_person_id, beneficiary_id FROM beneficiary_crosswalk")
    with reference.connect() as a, chaos.connect() as b:
        want = {(s, i): bid for s, i, bid in a.execute(q)}
        got = {(s, i): bid for s, i, bid in b.execute(q)}
    ids: dict[str, str] = {}
    for record, bid in sorted(got.items()):
        ids.setdefault(bid, want.get(record, bid))
    differ = sum(want.get(r) != ids.get(b) for r, b in got.items()) + len(want.keys() - got.keys())
    return ids, differ


def raw_tables(engine: sa.Engine) -> list[str]:
    return sorted(t for t in sa.inspect(engine).get_table_names() if t.startswith("raw_"))


def compare(reference: sa.Engine, chaos: sa.Engine, report: ChaosReport) -> None:
    for table in raw_tables(reference):
        q = f"SELECT source_id, content_hash, deleted FROM {table} WHERE is_current"
        versions = f"SELECT COUNT(*) FROM {table}"
        with reference.connect() as a, chaos.connect() as b:
            want, got = set(a.execute(sa.text(q)).all()), set(b.execute(sa.text(q)).all())
            extra_versions = b.execute(sa.text(versions)).scalar_one() - a.execute(sa.text(versions)).scalar_one()
        report.lost += len(want - got)
        report.duplicates += max(0, extra_versions) + len(got - want)
    ids, report.mismatches["beneficiary_crosswalk"] = _clusters(reference, chaos)
    for table in (*STAGING, *BY_BENEFICIARY):
        expected = Counter(_rows(reference, table))
        found = Counter(_rows(chaos, table, ids if table in BY_BENEFICIARY else None))
        report.mismatches[table] = sum(((expected - found) + (found - expected)).values())
    with chaos.connect() as conn:
        report.left_running = conn.execute(
            sa.text("SELECT COUNT(*) FROM pipeline_run WHERE status = 'running'")
        ).scalar_one()


def run_chaos(
    workdir: Path,
    *,
    size: int = 150,
    seed: int = 7,
    rounds: int = 12,
    fault_rate: float = 0.2,
    reference_url: str | None = None,
    chaos_url: str | None = None,
    pipeline: Callable[[Path], None] | None = None,
) -> ChaosReport:
    """Generate a world in `workdir`, link it undisturbed and under chaos, and compare (see the module doc).

    `pipeline(config)` runs the plain pipeline on a configuration (default: the `fase` CLI); the chaos rounds
    always run the CLI, as processes that can be killed."""
    started = time.monotonic()
    workdir = Path(workdir)
    folder = workdir / "world"
    world.generate(folder, size, seed)
    report = ChaosReport()
    urls = services.start_background(folder, fault_rate=fault_rate)
    try:
        hubs = {}
        for name, url in (("reference", reference_url), ("chaos", chaos_url)):
            url = url or f"sqlite:///{workdir / (name + '.db')}"
            config = workdir / f"{name}.yaml"
            services.write_hub_config(folder, urls, config, url)
            hubs[name] = (Hub(config, workdir / f"{name}.log"), sa.create_engine(url))
        plain = pipeline or (lambda config: Hub(config, workdir / "pipeline.log").pipeline())
        plain(workdir / "reference.yaml")
        hub, engine = hubs["chaos"]
        hub.run("db", "upgrade")
        chaos_rounds(hub, engine, rounds, random.Random(seed), report)
        plain(workdir / "chaos.yaml")  # converge: what the killed runs did not do
        report.reconcile_failed = hub.run("reconcile", "--all", check=False) != 0
        compare(hubs["reference"][1], engine, report)
    finally:
        services.stop_background(folder)
    report.seconds = time.monotonic() - started
    return report
