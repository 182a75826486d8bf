"""Benchmark: generate a sandbox world of >= 1,000,000 source records; print records/second and peak RSS.

Usage: .venv/bin/python bench/sandbox_generate.py [size] [seed]   (default size 580000 true people)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time

from sandbox import world

TARGET_RECORDS = 1_000_000
TARGET_SECONDS = 120


def main() -> int:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 580_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory(prefix="fase-sandbox-bench-") as folder:
        started = time.perf_counter()
        summary = world.generate(folder, size=size, seed=seed)
        elapsed = time.perf_counter() - started
    records = summary["total_records"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"true people: {summary['persons']:,}  households: {summary['households']:,}")
    for system, tables in summary["records"].items():
        print(f"  {system:13s} " + "  ".join(f"{t}={n:,}" for t, n in tables.items()))
    print(
        f"source records: {records:,} in {elapsed:.1f} s = {records / elapsed:,.0f} records/s; "
        f"peak RSS {peak_mb:,.0f} MB"
    )
    ok = records >= TARGET_RECORDS and elapsed < TARGET_SECONDS
    print("OK" if ok else f"FAIL: target is >= {TARGET_RECORDS:,} records in < {TARGET_SECONDS} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
