"""Benchmark: sync a sandbox of >= 1,000,000 source records from the five systems into a warehouse.

Prints, per system, records/second, and the process's peak memory (RSS) after each system: it must
stay bounded (streamed pages, batched inserts), not grow with the source size. Each sync ends with
its reconciliation; then `fase reconcile` is timed alone per system (SAT read whole, ids only).
Usage: .venv/bin/python bench/sync_throughput.py [size=580000] [warehouse_url]
       (default warehouse: a SQLite file in a temp folder; pass a postgresql+psycopg:// URL to use PostgreSQL)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from configuration import SYSTEMS, parse_config
from connectors.reconcile import reconcile_system
from connectors.registry import sync_system
from sandbox import services, world
from warehouse import db


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 580_000
    with tempfile.TemporaryDirectory(prefix="fase-sync-bench-") as tmp:
        folder = Path(tmp) / "sandbox"
        started = time.perf_counter()
        summary = world.generate(folder, size, seed=1)
        print(
            f"generated {summary['total_records']:,} source records in {time.perf_counter() - started:.0f} s; "
            f"peak RSS {peak_mb():,.0f} MB"
        )
        warehouse_url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'warehouse.db'}"
        os.environ.setdefault("FASE_IBAN_HASH_KEY", "bench-key")
        with services.running(folder) as urls:
            cfg = parse_config(
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
            engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
            db.upgrade(engine)
            total, total_s = 0, 0.0
            for system in SYSTEMS:
                t0 = time.perf_counter()
                result = sync_system(cfg, engine, system)
                seconds = time.perf_counter() - t0
                n = sum(s["received"] for s in result["streams"])
                total, total_s = total + n, total_s + seconds
                print(
                    f"  {system:13s} {n:>9,} records in {seconds:6.1f} s = {n / seconds:>8,.0f} records/s; "
                    f"peak RSS so far {peak_mb():,.0f} MB"
                )
            print(
                f"all systems: {total:,} records in {total_s:.0f} s = {total / total_s:,.0f} records/s; "
                f"peak RSS {peak_mb():,.0f} MB"
            )
            for system in SYSTEMS:
                t0 = time.perf_counter()
                streams = reconcile_system(cfg, engine, system)["streams"]
                compared = sum(s["reconciliation"]["source"] or 0 for s in streams)
                print(
                    f"  reconcile {system:13s} {compared:>9,} source records in {time.perf_counter() - t0:6.1f} s; "
                    f"peak RSS so far {peak_mb():,.0f} MB"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
