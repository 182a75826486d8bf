"""Benchmark: how fast `fase` answers — `fase --help` and a few commands that only read — in fresh processes.

Each command runs RUNS times on a migrated SQLite warehouse; the median and the fastest wall time are printed,
and the median CPU time of the process (user + system: what the command costs, whatever else loads the
machine), with the bare interpreter's start for reference, then the heaviest imports of `--help` and of `review list`
(from `python -X importtime`). Target: `fase --help` under 1 s (median).

Usage: .venv/bin/python bench/cli_startup.py [runs]   (default 7)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from warehouse import db

ROOT = Path(__file__).resolve().parents[1]

TARGET_HELP_SECONDS = 1.0
FASE = [sys.executable, "-c", "from hub.cli import main; main()"]  # what the `fase` script runs
COMMANDS = {
    "python -c pass (interpreter only)": [sys.executable, "-c", "pass"],
    "fase --help": [*FASE, "--help"],
    "fase sync --help": [*FASE, "sync", "--help"],
    "fase db current": [*FASE, "db", "current"],
    "fase runs": [*FASE, "runs"],
    "fase review list": [*FASE, "review", "list"],
    "fase quarantine list": [*FASE, "quarantine", "list"],
    "fase audit": [*FASE, "audit"],
}


def config(folder: Path) -> Path:
    """A hub configuration on a migrated, empty SQLite warehouse."""
    warehouse = f"sqlite:///{folder / 'warehouse.db'}"
    db.upgrade(db.make_engine(warehouse))
    path = folder / "hub.yaml"
    sources = {
        "sat": {"base_url": "http://127.0.0.1:1"},
        "polis": {"base_url": "http://127.0.0.1:1"},
        "anagrafe": {"folder": str(folder)},
        "volontariato": {"url": f"sqlite:///{folder / 'v.db'}"},
        "contabilita": {"url": f"sqlite:///{folder / 'c.db'}"},
    }
    path.write_text(yaml.safe_dump({"warehouse": {"url": warehouse}, "sources": sources}))
    return path


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[3:])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heaviest_imports(argv: list[str], env: dict[str, str], top: int = 8) -> list[tuple[float, str]]:
    """The top-level imports (cumulative seconds) of one run, heaviest first."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True, timeout=120
    )
    found = []
    for line in done.stderr.splitlines():  # "import time: self | cumulative | <indent>module"
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        if parts[2].startswith(" ") and not parts[2].startswith("  "):  # imported by the command itself
            found.append((int(parts[1]) / 1e6, parts[2].strip()))
    return sorted(found, reverse=True)[:top]


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory(prefix="fase-cli-bench-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FASE_CONFIG": str(config(folder))}
        load = os.getloadavg()[0]
        print(f"{'command':<36} {'median':>8} {'fastest':>8} {'CPU':>8}   ({runs} runs each, load average {load:.1f})")
        medians = {}
        for name, argv in COMMANDS.items():
            wall, cpu = zip(*(timed(argv, env) for _ in range(runs)))
            medians[name] = statistics.median(wall)
            print(f"{name:<36} {medians[name]:>7.2f}s {min(wall):>7.2f}s {statistics.median(cpu):>7.2f}s")
        for name in ("fase --help", "fase review list"):
            heavy = ", ".join(f"{module} {seconds:.2f}s" for seconds, module in heaviest_imports(COMMANDS[name], env))
            print(f"heaviest imports of {name}: {heavy}")
    ok = medians["fase --help"] < TARGET_HELP_SECONDS
    print("OK" if ok else f"FAIL: target is `fase --help` under {TARGET_HELP_SECONDS} s (median)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
