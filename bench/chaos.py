"""Chaos benchmark: random SIGKILLs and overlapping runs of sync, stage, link and publish against a sandbox with
source faults, then the warehouse compared with an undisturbed run's (sandbox/chaos.py).

    .venv/bin/python bench/chaos.py --rounds 40 --size 2000 [--seed 7] [--fault-rate 0.2] [--pg URL]

Prints kills survived, overlapping runs refused, records lost, duplicates, rows differing, runs left running and
reconciliation mismatches: everything but the first two must be zero (exit code 1 otherwise). With --pg, both
warehouses are fresh PostgreSQL databases on that server (an admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.chaos import run_chaos


def fresh_pg(admin_url: str) -> str:
    url = sa.make_url(admin_url)
    name = f"fase_chaos_{uuid.uuid4().hex[:8]}"
    with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--size", type=int, default=2000, help="people in the sandbox world")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--fault-rate", type=float, default=0.2)
    p.add_argument("--pg", help="PostgreSQL admin URL: run both warehouses there instead of SQLite")
    args = p.parse_args()
    urls = {}
    if args.pg:
        urls = {"reference_url": fresh_pg(args.pg), "chaos_url": fresh_pg(args.pg)}
    with tempfile.TemporaryDirectory(prefix="fase-chaos-") as tmp:
        report = run_chaos(
            Path(tmp), size=args.size, seed=args.seed, rounds=args.rounds, fault_rate=args.fault_rate, **urls
        )
        for line in report.lines():
            print(line)
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
