"""The end-to-end demo on the embedded default: a sandbox world, its simulators, every DAG run in-process.

`run_demo` does the work and returns a JSON-able report (what each DAG run did, what each sync
brought in, where to look next); `format_report` turns it into the printout of `fase demo`.
Steps whose modules are not written yet show as "not available yet" instead of failing the demo.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from configuration import SYSTEMS
from hub import airflow_local
from sandbox import services, world

VAR = Path("var")
CONSOLE_PORT = 8000  # `fase serve`'s default
SYNC_COLUMNS = ("received", "new", "changed", "unchanged", "deleted")
STAGE_COLUMNS = ("received", "staged", "quarantined")
LINK_FIELDS = ("records", "compared_pairs", "auto_links", "review_pairs", "beneficiaries", "created", "merged", "split")


class DemoError(Exception):
    """The demo cannot start as asked (e.g. an existing world of another size); the message says what to do."""


def run_demo(
    size: int = 2000,
    seed: int = 42,
    fresh: bool = False,
    var: Path = VAR,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Generate (or reuse) the world under `var`/sandbox, run every DAG, advance one day, run again.

    `progress` receives a line before each long step.
    """
    started = time.monotonic()
    var = Path(var).resolve()
    folder = var / "sandbox"
    if fresh:
        _clean(var)
    progress(f"sandbox world {folder} ({size} people, seed {seed})")
    world_info = _ensure_world(folder, size, seed)
    progress(f"Airflow metadata database {var / 'airflow'}")
    airflow_local.activate(var / "airflow")
    from hub import pipeline
    from hub.airflow_support import sync_dag_id

    with services.running(folder) as urls:
        config = services.write_hub_config(folder, urls, folder / "hub.yaml", f"sqlite:///{var / 'warehouse.db'}")
        os.environ["FASE_CONFIG"] = str(config)
        cfg, engine = pipeline.open_hub(str(config))
        dags = airflow_local.load_dags()

        def run_one(dag_id: str) -> dict:
            progress(f"  running {dag_id}")
            return airflow_local.run_dag(dags[dag_id], retries=0)

        def one_round(name: str, with_quality: bool) -> dict:
            first = _last_run_id(engine)
            runs = []
            for system in SYSTEMS:
                if system == "anagrafe" and not pipeline.anagrafe_snapshot_pending(str(config)):
                    runs.append(
                        {"dag_id": sync_dag_id(system), "state": "not run: no new complete snapshot", "tasks": {}}
                    )
                    continue
                runs.append(run_one(sync_dag_id(system)))
            runs.append(run_one("fase_link_publish"))
            if with_quality:
                runs.append(run_one("fase_quality"))
            return {"name": name, "runs": runs, **_recorded_runs(engine, after=first)}

        progress("round 1: initial load")
        rounds = [one_round("initial load", with_quality=True)]
        progress("advancing the world one day; round 2: incremental")
        day = world.advance(folder, 1)
        rounds.append(one_round(f"incremental, after one simulated day ({day['today']})", with_quality=False))
        progress("evaluating the linkage against the sandbox's ground truth")
        evaluation, household = _evaluation(engine, folder), _household(engine)
        console = _console(engine, config)

    return {
        "world": {**world_info, "folder": str(folder), "today": day["today"]},
        "rounds": rounds,
        "evaluation": evaluation,
        "household": household,
        "warehouse": str(var / "warehouse.db"),
        "airflow_home": str(var / "airflow"),
        "hub_config": str(config),
        "data_docs": next((r["data_docs"] for r in rounds if "data_docs" in r), None),
        "data_dir": str(cfg.data_dir),
        "console": console,
        "seconds": round(time.monotonic() - started, 1),
    }


def _evaluation(engine, folder: Path) -> list[str]:
    """The linkage evaluation against the sandbox's ground truth, as printable lines."""
    from matching.crosswalk_eval import evaluate_crosswalk
    from matching.crosswalk_eval import format_report as format_evaluation
    from sandbox.truth import record_truth

    return format_evaluation(evaluate_crosswalk(engine, record_truth(folder), worst=3))


def _console(engine, config: Path) -> dict:
    """Where the console will be and a steward's key for the demo world (printed once, like `fase api-keys`)."""
    from api.clients import create_client

    _, key = create_client(engine, "Demo steward", "steward", "make demo: clerical review in the console")
    return {"serve": f"fase --config {config} serve", "url": f"http://127.0.0.1:{CONSOLE_PORT}/console", "key": key}


def _household(engine) -> list[str]:
    """A few lines of the published profile of one household with a stay, a placement and payments."""
    from warehouse.profile import household_lines

    return household_lines(engine)


def _clean(var: Path) -> None:
    """Remove what a previous demo left: the world (stopping its background simulators), warehouse, Airflow home."""
    if (var / "sandbox").exists():
        services.stop_background(var / "sandbox")
        shutil.rmtree(var / "sandbox")
    for path in var.glob("warehouse.db*"):
        path.unlink()
    shutil.rmtree(var / "airflow", ignore_errors=True)


def _ensure_world(folder: Path, size: int, seed: int) -> dict:
    if (folder / "world.json").exists():
        state = world.load_world(folder)
        if (state["size"], state["seed"]) != (size, seed):
            raise DemoError(
                f"{folder} holds a world of {state['size']} people, seed {state['seed']}; "
                f"run with --fresh to replace it"
            )
        return {"size": size, "seed": seed, "generated": False}
    summary = world.generate(folder, size, seed)
    return {"size": size, "seed": seed, "generated": True, "source_records": summary["total_records"]}


def _last_run_id(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COALESCE(MAX(run_id), 0) FROM pipeline_run")).scalar_one()


def _recorded_runs(engine, after: int) -> dict:
    """What pipeline_run recorded since run `after`: per-system sync totals, and the failures with their reasons."""
    from warehouse.models import PipelineRun as R

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(R.step, R.system, R.status, R.task, R.error, R.summary).where(R.run_id > after).order_by(R.run_id)
        ).all()
    synced: dict[str, dict] = {}
    staged: dict[str, dict] = {}
    linked: dict = {}
    for row in rows:
        if row.status != "success" or not row.summary:
            continue
        if row.step in ("sync", "stage"):
            into, columns = (synced, SYNC_COLUMNS) if row.step == "sync" else (staged, STAGE_COLUMNS)
            totals = into.setdefault(row.system, dict.fromkeys(columns, 0))
            for stream in row.summary.get("streams", []):
                for column in columns:
                    totals[column] += stream.get(column, 0)
        elif row.step == "link":
            linked = {k: row.summary.get(k) for k in LINK_FIELDS}
    failures = [
        {"step": r.step, "system": r.system, "task": r.task, "error": r.error} for r in rows if r.status == "failed"
    ]
    docs = [r.summary["data_docs"] for r in rows if r.step == "quality" and (r.summary or {}).get("data_docs")]
    return {
        "synced": synced,
        "staged": staged,
        "linked": linked,
        "failures": failures,
        **({"data_docs": docs[-1]} if docs else {}),
    }


def format_report(report: dict) -> str:
    """The printout of `fase demo`."""
    w = report["world"]
    lines = [
        f"sandbox world {w['folder']}: {w['size']} people, seed {w['seed']}, "
        f"{'generated' if w['generated'] else 'reused'}; now at {w['today']}"
    ]
    for i, r in enumerate(report["rounds"], 1):
        lines += ["", f"Round {i}: {r['name']}"]
        for run in r["runs"]:
            tasks = ", ".join(f"{t} {s}" for t, s in run["tasks"].items())
            lines.append(f"  {run['dag_id']:<24} {run['state']:<8} {tasks}")
        lines.append("  synced into the raw layer, then staged (records):")
        lines.append(
            "    "
            + f"{'system':<14}"
            + "".join(f"{c:>11}" for c in SYNC_COLUMNS)
            + "".join(f"{c:>12}" for c in STAGE_COLUMNS[1:])
        )
        for system in SYSTEMS:
            totals, stage = r["synced"].get(system), r["staged"].get(system)
            cells = "".join(f"{totals[c]:>11}" for c in SYNC_COLUMNS) if totals else "  (no successful sync)"
            if stage:
                cells += "".join(f"{stage[c]:>12}" for c in STAGE_COLUMNS[1:])
            lines.append(f"    {system:<14}{cells}")
        if r["linked"]:
            lines.append(
                "  linked: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["linked"].items() if v is not None)
            )
        lines += [f"  FAILED {f['task'] or f['step']}: {f['error']}" for f in r["failures"]]
    if report.get("evaluation"):
        lines += ["", *report["evaluation"]]
    if report.get("household"):
        lines += ["", "The unified profile of one household (confidential fields redacted):", *report["household"]]
    lines += [
        "",
        "Where to look next:",
        f"  warehouse     {report['warehouse']}   (sqlite3 … 'SELECT * FROM pipeline_run')",
        f"  Data Docs     {report['data_docs'] or 'under ' + report['data_dir'] + ' (once fase_quality has run)'}",
        "  read API      fase serve   (the console under /console, Swagger UI at /docs)",
        f"  Airflow UI    make airflow   (= fase airflow: these runs, in {report['airflow_home']}; see dags/README.md)",
        f"  hub config    {report['hub_config']}",
        f"demo finished in {report['seconds']} s",
    ]
    if report.get("console"):
        c = report["console"]
        lines += [
            "",
            f"The console: run `{c['serve']}`, then open {c['url']}",
            f"  steward key   {c['key']}",
            "  (shown once; more people: fase api-keys create --role steward|case_worker|analyst --name … --purpose …)",
        ]
    return "\n".join(lines)
