"""Read API under load: merged record and lookups at a target rate against a 100k-beneficiary warehouse.

    .venv/bin/python bench/api_load.py [--rate 200] [--seconds 30] [--workers 2] [--rebuild]

Warehouse: PostgreSQL database `fase_bench_api` on the local server (FASE_BENCH_PG_URL to change),
built once and reused (--rebuild to redo). The fill is synthetic, written with COPY in ~1 minute:
generating, syncing, staging and publishing a 100k-person sandbox takes far longer and the API only
reads the identity, staging-person and profile tables, which are filled with the same shapes
(100k beneficiaries, ~1.4 source records each, golden record with provenance, households, stays,
residences, placements, services, payments with status history, change feed).
Server: `fase serve --workers N` in a subprocess on loopback. Load: an open-loop generator (asyncio,
a minimal keep-alive HTTP/1.1 client so that it takes little of the shared CPU) starting requests at
the target rate regardless of answers, over 128 connections; latency is from the request's start
(including any wait for a free connection) to the full response. Mix: 50% merged record by beneficiary id,
25% lookup by codice fiscale, 25% lookup by source record id. Prints achieved requests/second and
p50/p95/p99 per endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.clients import create_client  # noqa: E402
from schemas.standardise.codice_fiscale import check_char  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.runs import start_run  # noqa: E402

ADMIN_URL = os.environ.get("FASE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = "fase_bench_api"
SIZE = 100_000
SYSTEMS = ("anagrafe", "sat", "polis", "volontariato", "contabilita")
FIRST = [
    "Marco",
    "Giulia",
    "Luca",
    "Sara",
    "Ahmed",
    "Fatima",
    "Ion",
    "Elena",
    "Wei",
    "Mei",
    "Jose",
    "Maria",
    "Olena",
    "Andrii",
    "Moussa",
    "Aminata",
    "Francesca",
    "Giovanni",
    "Chiara",
    "Paolo",
]
LAST = [
    "Rossi",
    "Bianchi",
    "Esposito",
    "El Amrani",
    "Popescu",
    "Hoxha",
    "Chen",
    "Quispe",
    "Santos",
    "Diop",
    "Kovalenko",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
]
MONTHS = "ABCDEHLMPRST"


def bench_url() -> sa.URL:
    return sa.make_url(ADMIN_URL).set(database=DB_NAME)


def codice_fiscale(rng: random.Random, born: date, female: bool, used: set[str]) -> str:
    while True:
        head = "".join(rng.choice("BCDFGHLMNPRSTVZ") for _ in range(6))
        code = f"{head}{born.year % 100:02d}{MONTHS[born.month - 1]}{born.day + (40 if female else 0):02d}D612"
        code += check_char(code)
        if code not in used:
            used.add(code)
            return code


def _copy(raw, table: str, columns: list[str], rows: list[tuple]) -> None:
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(engine: sa.Engine) -> None:
    """Synthetic warehouse of SIZE beneficiaries (deterministic)."""
    rng, used = random.Random(42), set()
    run_id = start_run(engine, "bench", trigger="bench")
    now = datetime(2026, 10, 22, tzinfo=UTC)
    t: dict[str, list[tuple]] = {
        k: []
        for k in (
            "beneficiary",
            "beneficiary_crosswalk",
            "stg_person",
            "golden_record",
            "golden_provenance",
            "household",
            "household_member",
            "fact_stay",
            "fact_residence",
            "fact_placement",
            "fact_volunteer_service",
            "fact_payment",
            "fact_payment_status",
            "beneficiary_change",
        )
    }
    next_id = {s: 1 for s in SYSTEMS}
    household = None
    for n in range(1, SIZE + 1):
        bid = f"B{n:08d}"
        female = rng.random() < 0.5
        first, last = rng.choice(FIRST), rng.choice(LAST)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(30000))
        cf = codice_fiscale(rng, born, female, used)
        systems = ["anagrafe"] + [s for s in SYSTEMS[1:] if rng.random() < 0.12]
        protected = "sat" in systems and rng.random() < 0.05
        if household is None or rng.random() < 0.45:
            household = f"anagrafe:F-{n}"
            t["household"].append((household, "anagrafe", 1, 1, 0, False, None, True, False, False, False, False))
        role = "IS" if household == f"anagrafe:F-{n}" else "FG"
        t["household_member"].append((bid, household, role, False, "anagrafe"))
        ids = {}
        for s in systems:
            sid = str(next_id[s])
            next_id[s] += 1
            ids[s] = sid
            t["beneficiary_crosswalk"].append((s, sid, bid, 0.98, run_id, now))
            t["stg_person"].append(
                (
                    s,
                    sid,
                    first,
                    last,
                    first.upper(),
                    None,
                    last.upper().replace(" ", ""),
                    False,
                    "F" if female else "M",
                    born,
                    False,
                    cf,
                    cf,
                    "valid",
                    protected and s == "sat",
                    run_id,
                    household if s == "anagrafe" else None,
                )
            )
        t["beneficiary"].append((bid, "active", None, len(systems), run_id, run_id, now, now))
        street, number = rng.choice(["VIA ROMA", "VIA PISANA", "VIALE GUIDONI"]), str(rng.randrange(1, 200))
        t["golden_record"].append(
            (
                bid,
                first,
                last,
                "F" if female else "M",
                born,
                "FIRENZE",
                "IT",
                "IT",
                cf,
                "valid",
                f"+39333{n:07d}",
                None,
                "VIA",
                street,
                number,
                "50127",
                "FIRENZE",
                household,
                role,
                protected,
                ",".join(systems),
                len(systems),
                f"{n:064x}",
                now,
            )
        )
        for attribute, value in (
            ("first_name", first),
            ("last_name", last),
            ("sex", "F" if female else "M"),
            ("birth_date", born.isoformat()),
            ("codice_fiscale", cf),
            ("phone", f"+39333{n:07d}"),
            ("residence_street", street),
            ("birthplace", "FIRENZE"),
            ("citizenship", "IT"),
        ):
            t["golden_provenance"].append(
                (bid, attribute, value, "anagrafe", ids["anagrafe"], now, attribute, "authority:anagrafe", len(systems))
            )
        t["fact_residence"].append(
            (
                ids["anagrafe"],
                born,
                bid,
                None,
                "VIA",
                street,
                number,
                None,
                "50127",
                "FIRENZE",
                household,
                role,
                "RESIDENTE",
            )
        )
        if "sat" in ids:
            t["fact_stay"].append(
                (
                    f"{n}",
                    bid,
                    ids["sat"],
                    None if protected else "Casa Volano",
                    "struttura_protetta" if protected else "appartamento_volano",
                    None if protected else "Via Pisana 1",
                    date(2025, 1, 1),
                    None,
                    None,
                    None,
                    False,
                    protected,
                )
            )
        if "polis" in ids:
            t["fact_placement"].append(
                (f"{n}", bid, ids["polis"], "tirocinio", "Coop", date(2025, 3, 1), None, "active", 40)
            )
        if "volontariato" in ids:
            t["fact_volunteer_service"].append(
                (f"{n}", bid, ids["volontariato"], "Caritas", "beneficiario", "mensa", date(2025, 5, 1), None)
            )
        if "contabilita" in ids:
            t["fact_payment"].append(
                (
                    f"{n}",
                    bid,
                    ids["contabilita"],
                    "contributo_affitto",
                    "350.00",
                    "DD/2026/1",
                    "pagato",
                    date(2026, 1, 10),
                    date(2026, 2, 1),
                    date(2026, 2, 10),
                    None,
                )
            )
            t["fact_payment_status"] += [
                (f"{n}", "determinato", bid, date(2026, 1, 10), None, "data_determina"),
                (f"{n}", "pagato", bid, date(2026, 2, 10), now, "observed"),
            ]
        t["beneficiary_change"].append((bid, "created", None, run_id, now))
    columns = {
        "beneficiary": "beneficiary_id status merged_into record_count created_run_id updated_run_id created_at "
        "updated_at",
        "beneficiary_crosswalk": "source_system source_person_id beneficiary_id match_probability linked_run_id "
        "linked_at",
        "stg_person": "source_system source_person_id first_name last_name first_name_norm middle_names_norm "
        "last_name_norm name_split_ambiguous sex birth_date birth_date_is_default codice_fiscale "
        "cf_base cf_status riservato run_id household_key",
        "golden_record": "beneficiary_id first_name last_name sex birth_date birthplace birth_country citizenship "
        "codice_fiscale cf_status phone email residence_toponym residence_street residence_number "
        "residence_postcode residence_municipality household_key household_role is_protected "
        "systems record_count row_hash source_updated_at",
        "golden_provenance": "beneficiary_id attribute value source_system source_person_id source_date rule "
        "decided_by candidates",
        "household": "household_id source size adults minors single_parent_with_minors single_parent_id "
        "resident_in_florence housing_need eviction_risk ever_hosted reached_autonomy",
        "household_member": "beneficiary_id household_id role is_minor via",
        "fact_stay": "stay_id beneficiary_id source_person_id structure_name structure_type address entry_date "
        "exit_date exit_reason days_hosted to_autonomy confidential",
        "fact_residence": "source_person_id valid_from beneficiary_id valid_to toponym street number interno "
        "postcode municipality household_key household_role posizione",
        "fact_placement": "placement_id beneficiary_id source_person_id programme provider start_date end_date "
        "status hours_completed",
        "fact_volunteer_service": "service_id beneficiary_id source_person_id association role service_type "
        "start_date end_date",
        "fact_payment": "payment_id beneficiary_id source_person_id benefit_type amount determina_number status "
        "determinato_on liquidato_on pagato_on revocato_on",
        "fact_payment_status": "payment_id status beneficiary_id reached_on reached_at evidence",
        "beneficiary_change": "beneficiary_id kind merged_into run_id changed_at",
    }
    raw = engine.raw_connection()
    try:
        for table, rows in t.items():
            _copy(raw.driver_connection, table, columns[table].split(), rows)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def warehouse(rebuild: bool) -> sa.Engine:
    """The bench warehouse, built unless it already holds SIZE published beneficiaries."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).first()
        if exists and rebuild:
            conn.execute(sa.text(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    engine = db.make_engine(bench_url())
    db.upgrade(engine)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM golden_record")).scalar()
    if count != SIZE:
        if count:
            raise SystemExit(f"{DB_NAME} holds {count} beneficiaries, not {SIZE}: run with --rebuild")
        started = time.monotonic()
        fill(engine)
        print(f"built {DB_NAME}: {SIZE} beneficiaries in {time.monotonic() - started:.0f} s")
    return engine


def targets(engine: sa.Engine) -> dict[str, list]:
    with engine.connect() as conn:
        people = conn.execute(sa.text("SELECT beneficiary_id, codice_fiscale FROM golden_record")).all()
        sources = conn.execute(sa.text("SELECT source_system, source_person_id FROM beneficiary_crosswalk")).all()
    return {"ids": [p[0] for p in people], "cfs": [p[1] for p in people], "sources": [tuple(s) for s in sources]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connections:
    """Keep-alive HTTP/1.1 connections to the server, used one request at a time each. A minimal client
    (request line, headers, Content-Length body) so that the generator costs little CPU on the same
    machine as the server."""

    def __init__(self, host: str, port: int, size: int, headers: dict[str, str]):
        self.host, self.port, self.size = host, port, size
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.free: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        reader, writer = await self.free.get()
        try:
            extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
            writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            return status
        finally:
            self.free.put_nowait((reader, writer))


async def drive(port: int, key: str, data: dict, rate: float, seconds: float, seed: int = 1) -> dict[str, list]:
    """Open-loop load: a request started every 1/rate s (at most 128 in flight); latencies (s) per endpoint."""
    rng = random.Random(seed)
    results: dict[str, list] = {"record": [], "lookup_cf": [], "by_source": [], "errors": []}
    conns = Connections(
        "127.0.0.1", port, 128, {"Authorization": f"Bearer {key}", "X-User-Id": "bench", "X-User-Location": "loopback"}
    )
    await conns.open()

    async def one(kind: str) -> None:
        started = time.perf_counter()
        if kind == "record":
            status = await conns.request("GET", f"/v1/beneficiaries/{rng.choice(data['ids'])}")
        elif kind == "lookup_cf":
            body = json.dumps({"codice_fiscale": rng.choice(data["cfs"])}).encode()
            status = await conns.request("POST", "/v1/beneficiaries/lookup", body)
        else:
            system, sid = rng.choice(data["sources"])
            status = await conns.request("GET", f"/v1/sources/{system}/{sid}")
        if status == 200:
            results[kind].append(time.perf_counter() - started)
        else:
            results["errors"].append(f"{kind}: HTTP {status}")

    tasks, start = [], time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        draw = rng.random()
        tasks.append(asyncio.create_task(one("record" if draw < 0.5 else "lookup_cf" if draw < 0.75 else "by_source")))
    await asyncio.gather(*tasks)
    results["elapsed"] = [time.perf_counter() - start]
    return results


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()

    engine = warehouse(args.rebuild)
    data = targets(engine)
    _, key = create_client(engine, "bench", "case_worker", "load test", rate_limit_per_minute=10_000_000)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "hub.yaml"
        config.write_text(
            f"warehouse: {{url: '{bench_url().render_as_string(hide_password=True)}'}}\nsources:\n"
            f"  sat: {{base_url: 'http://x'}}\n  polis: {{base_url: 'http://x'}}\n"
            f"  anagrafe: {{folder: '{tmp}'}}\n  volontariato: {{url: 'sqlite://'}}\n"
            f"  contabilita: {{url: 'sqlite://'}}\n"
        )
        env = {**os.environ, "FASE_PSEUDONYM_KEY": os.environ.get("FASE_PSEUDONYM_KEY", "bench-pseudonym-key")}
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("fase")),
                "--config",
                str(config),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/v1/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("fase serve did not become ready")
                time.sleep(0.3)
            asyncio.run(drive(port, key, data, rate=args.rate / 4, seconds=5, seed=0))  # warm-up: pools, key cache
            load_before = os.getloadavg()[0]
            res = asyncio.run(drive(port, key, data, rate=args.rate, seconds=args.seconds))
        finally:
            server.terminate()
            server.wait(20)
    elapsed = res["elapsed"][0]
    done = sum(len(res[k]) for k in ("record", "lookup_cf", "by_source"))
    print(
        f"api_load: {SIZE} beneficiaries on PostgreSQL, {args.workers} workers, target {args.rate:.0f} req/s "
        f"for {args.seconds:.0f} s"
    )
    print(
        f"  achieved {done / elapsed:.1f} req/s ({done} ok, {len(res['errors'])} errors); "
        f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (2 cores shared with PostgreSQL "
        f"and this generator)"
    )
    print(f"  {'endpoint':<34}{'n':>7}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    names = {
        "record": "GET /v1/beneficiaries/{id}",
        "lookup_cf": "POST /v1/beneficiaries/lookup",
        "by_source": "GET /v1/sources/{system}/{id}",
    }
    for kind, label in names.items():
        v = res[kind]
        print(f"  {label:<34}{len(v):>7}{len(v) / elapsed:>9.1f}{pct(v, 50):>9.1f}{pct(v, 95):>9.1f}{pct(v, 99):>9.1f}")
    if res["errors"]:
        print("  first errors:", res["errors"][:3])


if __name__ == "__main__":
    main()
