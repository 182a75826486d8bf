"""Benchmark: a sandbox world of SIZE source records, synced, staged and linked end to end, then scored.

    .venv/bin/python bench/link_sandbox.py 100000            # SIZE source records (all streams of all systems)
    .venv/bin/python bench/link_sandbox.py 1000000 --seed 7 --keep /tmp/w1m --warehouse postgresql+psycopg://...
    .venv/bin/python bench/link_sandbox.py 1000000 --keep /tmp/w1m --relink --mode full   # link a kept world again

Prints the time of each phase (generate, sync, stage, link — the link step is a fresh process so that
its peak RSS is its own), the link's own phases (plan, score, finalise) in wall and CPU seconds (the machine
is shared: CPU seconds are the steadier figure), the linkage summary, the evaluation against the ground truth
(pairwise precision/recall/F1, B-cubed, pair completeness, reduction ratio), each blocking pass's unique
contribution to pair completeness (true pairs that no other pass finds), and checks the targets of issue 16:
precision >= 0.997, F1 >= 0.98, pair completeness >= 0.995 at every size; link <= 10 s at 100k source records
(up to 150k), <= 150 s and peak RSS <= 4 GB at 1M (from 500k). `--relink` skips generation, sync and staging and
links the warehouse kept in `--keep` again (`--mode full` compares every pair again; the model is refitted only
with `--refit`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RECORDS_PER_PERSON = 1.75
"""Source records (people and their events, all systems) per true person in a generated world."""


def peak_mb() -> float:
    """Peak RSS of this process (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _config(folder: Path, urls: dict, warehouse_url: str):
    from configuration import parse_config

    return parse_config(
        {
            "warehouse": {"url": warehouse_url},
            "sources": {
                "sat": {"base_url": urls["sat"]},
                "polis": {"base_url": urls["polis"]},
                "anagrafe": {"folder": str(folder / "anagrafe")},
                "volontariato": {"url": f"sqlite:///{folder / 'volontariato.db'}"},
                "contabilita": {"url": f"sqlite:///{folder / 'contabilita.db'}"},
            },
        },
        "bench",
    )


def link_only(warehouse_url: str, mode: str, refit: bool) -> None:
    """The link step alone (run as a child process): prints one JSON line with the summary and peak RSS."""
    from matching.pipeline import link
    from warehouse import db

    engine = db.make_engine(warehouse_url)
    t = time.perf_counter()
    summary = link(engine, mode, refit=refit, trigger="bench")
    summary["wall_seconds"] = round(time.perf_counter() - t, 2)
    summary["peak_rss_mb"] = round(peak_mb())
    print("LINK " + json.dumps(summary, default=str))


def _build(folder: Path, url: str, people: int, seed: int) -> dict[str, float]:
    """Generate the world, sync and stage it; returns the phase times."""
    from configuration import SYSTEMS, load_env_file
    from connectors.registry import sync_system
    from sandbox import services, world
    from schemas.stage import stage_system
    from warehouse import db

    times = {}
    t = time.perf_counter()
    gen = world.generate(folder, people, seed)
    times["generate"] = time.perf_counter() - t
    persons = sum(gen["person_records"].values())
    print(
        f"world: {people:,} people, {gen['total_records']:,} source records ({persons:,} person records) "
        f"in {times['generate']:.1f} s; peak RSS {peak_mb():,.0f} MB",
        flush=True,
    )
    load_env_file(folder / "secrets.env")
    engine = db.make_engine(url)
    db.upgrade(engine)
    with services.running(folder) as urls:
        cfg = _config(folder, urls, url)
        t = time.perf_counter()
        for system in SYSTEMS:
            sync_system(cfg, engine, system)
        times["sync"] = time.perf_counter() - t
        print(f"sync:  {times['sync']:.1f} s; peak RSS {peak_mb():,.0f} MB", flush=True)
        t = time.perf_counter()
        for system in SYSTEMS:
            stage_system(cfg, engine, system)
        times["stage"] = time.perf_counter() - t
        print(f"stage: {times['stage']:.1f} s; peak RSS {peak_mb():,.0f} MB", flush=True)
    engine.dispose()
    return times


def _print_passes(blocking: dict) -> None:
    """Each pass's pairs, true pairs found and true pairs found by it alone."""
    print(f"  {'blocking pass':<30}{'pairs':>12}{'true found':>12}{'only by it':>12}")
    for p in blocking.get("passes", []):
        print(f"  {p['name']:<30}{p['pairs']:>12,}{p['true_found']:>12,}{p.get('true_unique', 0):>12,}")


def _targets(source_records: int, link: dict, result: dict) -> dict[str, bool]:
    """The targets of issue 16 that apply at this size (SIZE: source records, all streams)."""
    pw = result["pairwise"]
    checks = {
        "precision >= 0.997": pw["precision"] >= 0.997,
        "F1 >= 0.98": pw["f1"] >= 0.98,
        "pair completeness >= 0.995": result["blocking"]["pair_completeness"] >= 0.995,
    }
    if source_records <= 150_000:
        checks["link <= 10 s"] = link["wall_seconds"] <= 10
    if source_records >= 500_000:
        checks["link <= 150 s"] = link["wall_seconds"] <= 150
        checks["peak RSS <= 4 GB"] = link["peak_rss_mb"] <= 4096
    return checks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", type=int, nargs="?", default=100_000, help="source records to generate")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="folder to keep the world and warehouse in (default: a temp folder)")
    ap.add_argument("--warehouse", help="warehouse URL (default: SQLite file in the folder)")
    ap.add_argument("--link-only", dest="link_only", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="incremental", choices=["incremental", "full"], help="link mode")
    ap.add_argument("--refit", action="store_true", help="refit the model in the link step")
    ap.add_argument(
        "--relink",
        action="store_true",
        help="link the world kept in --keep again (no generation; SIZE sets the targets)",
    )
    args = ap.parse_args()
    if args.link_only:
        link_only(args.link_only, args.mode, args.refit)
        return 0
    if args.relink and not args.keep:
        ap.error("--relink needs --keep (the folder of a kept world)")

    from matching.crosswalk_eval import evaluate_crosswalk, format_report
    from sandbox.truth import record_truth
    from warehouse import db

    tmp = None
    if args.keep:
        base = args.keep
        base.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="fase-link-bench-")
        base = Path(tmp.name)
    folder = base / "sandbox"
    url = args.warehouse or f"sqlite:///{base / 'warehouse.db'}"
    people = max(50, round(args.size / RECORDS_PER_PERSON))
    times: dict[str, float] = {}
    try:
        if not args.relink:
            times.update(_build(folder, url, people, args.seed))
        t = time.perf_counter()
        command = [sys.executable, __file__, "--link-only", url, "--mode", args.mode] + (
            ["--refit"] if args.refit else []
        )
        out = subprocess.run(
            command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        times["link"] = time.perf_counter() - t
        line = next((x for x in out.stdout.splitlines() if x.startswith("LINK ")), None)
        if out.returncode or line is None:
            print(out.stdout[-3000:], out.stderr[-3000:])
            return 2
        s = json.loads(line[5:])
        print(
            f"link:  {s['wall_seconds']:.1f} s in the step ({times['link']:.1f} s with interpreter start); "
            f"peak RSS of the link process {s['peak_rss_mb']:,} MB",
            flush=True,
        )
        phases = ("plan", "score", "finalize", "total")
        print("       phases (wall s): " + ", ".join(f"{k} {s['seconds'][k]:.1f}" for k in phases))
        print("       phases (CPU s):  " + ", ".join(f"{k} {s['cpu_seconds'][k]:.1f}" for k in phases))
        print(
            f"       {s['records']:,} records, {s['compared_pairs']:,} pairs compared, {s['auto_links']:,} auto links, "
            f"{s['review_pairs']:,} in the review band, {s['beneficiaries']:,} beneficiaries"
        )
        t = time.perf_counter()
        engine = db.make_engine(url)
        result = evaluate_crosswalk(engine, record_truth(folder), worst=2, explain=True)
        times["evaluate"] = time.perf_counter() - t
        for line in format_report(result):
            print(line)
        _print_passes(result["blocking"])
        checks = _targets(args.size, s, result)
        print("targets (issue 16): " + ", ".join(f"{k} {'OK' if v else 'MISSED'}" for k, v in checks.items()))
        print("times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
