"""Cost of the audit log's hash chain: one audit row per API request, and `fase audit verify` on a million rows.

    .venv/bin/python bench/audit_chain.py [--inserts 2000] [--threads 8] [--rows 1000000]

On a fresh PostgreSQL database (FASE_BENCH_PG_URL, default the local server; dropped afterwards) and a temp
SQLite file: the latency of one chained audit insert as the API writes it (`warehouse.audit_chain.append`,
one row, its own transaction) against a plain insert of the same row into an unchained copy of the table,
one writer at a time and then `--threads` writers at once (chained inserts queue for the chain's lock, held
until commit); then the time `audit_chain.verify` takes to walk `--rows` rows (written in bulk beforehand).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse import audit_chain, db  # noqa: E402

ADMIN_URL = os.environ.get("FASE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PLAIN = {
    "postgresql": "CREATE TABLE audit_plain (LIKE api_audit INCLUDING DEFAULTS); "
    "ALTER TABLE audit_plain ALTER COLUMN audit_id ADD GENERATED ALWAYS AS IDENTITY",
    "sqlite": "CREATE TABLE audit_plain (audit_id INTEGER PRIMARY KEY, at DATETIME, client_id TEXT, role TEXT, "
    "purpose TEXT, user_id TEXT, location TEXT, method TEXT, path TEXT, beneficiary_id TEXT, outcome INTEGER, "
    "detail TEXT, prev_hash TEXT, row_hash TEXT)",
}


def request_row(i: int) -> dict:
    return {
        "at": datetime.now(UTC),
        "client_id": "cl_0123456789abcdef",
        "role": "case_worker",
        "purpose": "casework: housing emergency",
        "user_id": "op-17",
        "location": "SdS Q4",
        "method": "GET",
        "path": f"/v1/beneficiaries/B{i:08d}",
        "beneficiary_id": f"B{i:08d}",
        "outcome": 200,
        "detail": None,
    }


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


def time_inserts(engine: sa.Engine, n: int) -> tuple[list[float], list[float]]:
    plain = sa.table("audit_plain", *(sa.column(c) for c in request_row(0)))
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    chained, unchained = [], []
    for i in range(n):
        started = time.perf_counter()
        audit_chain.append(engine, [request_row(i)])
        chained.append(time.perf_counter() - started)
        started = time.perf_counter()
        with autocommit.connect() as conn:
            conn.execute(plain.insert(), [request_row(i)])
        unchained.append(time.perf_counter() - started)
    return chained, unchained


def time_concurrent(engine: sa.Engine, threads: int, n: int) -> dict[str, tuple[float, list[float]]]:
    """(rows/s, latencies) of `threads` writers inserting `n` rows each, chained and plain."""
    plain = sa.table("audit_plain", *(sa.column(c) for c in request_row(0)))
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def insert_chained(i: int) -> None:
        audit_chain.append(engine, [request_row(i)])

    def insert_plain(i: int) -> None:
        with autocommit.connect() as conn:
            conn.execute(plain.insert(), [request_row(i)])

    out = {}
    for name, write in (("chained", insert_chained), ("plain", insert_plain)):
        latencies: list[float] = []
        lock = threading.Lock()

        def writer(write=write, latencies=latencies, lock=lock) -> None:
            for i in range(n):
                started = time.perf_counter()
                write(i)
                with lock:
                    latencies.append(time.perf_counter() - started)

        workers = [threading.Thread(target=writer) for _ in range(threads)]
        started = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        out[name] = (len(latencies) / (time.perf_counter() - started), latencies)
    return out


def bulk_chain(engine: sa.Engine, rows: int) -> None:
    """`rows` chained rows written directly (COPY on PostgreSQL, executemany on SQLite), triggers bypassed."""
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT audit_id, row_hash FROM api_audit ORDER BY audit_id DESC LIMIT 1")).first()
    audit_id, prev = (last[0], last[1]) if last else (0, audit_chain.GENESIS)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cols = [*audit_chain.CHAINED, "prev_hash", "row_hash"]
    batch: list[dict] = []

    def flush() -> None:
        if not batch:
            return
        if engine.dialect.name == "postgresql":
            buf = io.StringIO()
            for r in batch:
                buf.write("\t".join("\\N" if r[c] is None else str(r[c]) for c in cols) + "\n")
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                raw = conn.connection.driver_connection
                with raw.cursor().copy(f"COPY api_audit ({', '.join(cols)}) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
        else:
            with engine.begin() as conn:
                conn.execute(audit_chain.api_audit.insert(), batch)
        batch.clear()

    for i in range(rows):
        audit_id += 1
        row = {**request_row(i), "at": start + timedelta(milliseconds=i), "audit_id": audit_id, "prev_hash": prev}
        row["row_hash"] = prev = audit_chain.row_hash(row, prev)
        batch.append(row)
        if len(batch) == 50_000:
            flush()
    flush()


def run(label: str, url: str, inserts: int, threads: int, rows: int) -> None:
    engine = db.make_engine(url, **({"pool_size": threads} if url.startswith("postgresql") else {}))
    db.upgrade(engine)
    with engine.begin() as conn:
        for statement in PLAIN[engine.dialect.name].split("; "):
            conn.exec_driver_sql(statement)
    audit_chain.append(engine, [request_row(0)])  # warm-up: pools, prepared plans
    chained, unchained = time_inserts(engine, inserts)
    print(f"{label}: one audit row per request, {inserts} requests")
    for name, values in (("chained (this code)", chained), ("plain insert", unchained)):
        print(
            f"  {name:<22} p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms  p99 {pct(values, 99):6.2f} ms"
        )
    print(f"  {threads} writers at once")
    for name, (rate, values) in time_concurrent(engine, threads, max(1, inserts // threads)).items():
        print(f"  {name:<22} {rate:6.0f} rows/s  p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms")
    started = time.monotonic()
    bulk_chain(engine, rows)
    written = time.monotonic() - started
    started = time.monotonic()
    verdict = audit_chain.verify(engine)
    took = time.monotonic() - started
    assert verdict.intact, verdict
    print(
        f"  verify: {verdict.rows} rows in {took:.1f} s ({verdict.rows / took:,.0f} rows/s, streamed); "
        f"bulk write {written:.0f} s"
    )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inserts", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    name = f"fase_bench_audit_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run(
            "PostgreSQL",
            sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False),
            args.inserts,
            args.threads,
            args.rows,
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'warehouse.db'}", args.inserts, args.threads, args.rows)


if __name__ == "__main__":
    main()
