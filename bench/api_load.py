"""Read API under load: merged record, lookup, search and change feed at a target rate on a 100k-beneficiary
PostgreSQL warehouse, measured by `wrk` (not by the project's own code), and the API's CPU per request.

    .venv/bin/python bench/api_load.py [--url URL] [--rate 200] [--seconds 30] [--workers 2] [--rebuild]

Warehouse: the PostgreSQL database named by --url (default FASE_BENCH_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/fase_bench_api), created when missing, built once and reused
(--rebuild to redo). The fill is synthetic, written with COPY in ~1 minute: generating, syncing, staging and
publishing a 100k-person sandbox takes far longer and the API only reads the identity, staging-person and
profile tables, which are filled with the same shapes (100k beneficiaries, ~1.4 source records each, golden
record with provenance, households, stays, residences, placements, services, payments with status history,
change feed).
Server: `fase serve --workers N` in a subprocess on loopback.
CPU: for each endpoint alone, a closed loop of 2 connections for a few seconds; the CPU time the server's
processes used (user + system, from /proc) divided by the requests answered.
Load: `wrk` (Debian package `wrk`), one process per endpoint running together, each pacing its connections
(Lua `delay()`) so that together they start about --rate requests a second: 40% merged record by beneficiary id,
20% lookup by codice fiscale, 20% search by surname and birth date, 20% change feed pages of 100 from random
cursors. wrk paces each connection after its previous answer (closed per connection) by a random wait of mean 1 s
(exponential, seeded, cut at 4 s: uvicorn closes connections idle for 5 s, and wrk counts a request racing that
close as an error where a pooled HTTP client would retry): with answers well under a second the requests of all connections arrive as a Poisson stream,
an open loop (a fixed wait would keep the first second's burst of every connection at once forever, and measure the
queue of that burst); the achieved rates are printed.
Prints per endpoint: requests, req/s, p50/p95/p99 latency, errors (non-2xx/3xx, socket errors, timeouts).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.clients import create_client  # noqa: E402
from api.cursors import encode  # noqa: E402
from schemas.standardise.codice_fiscale import check_char  # noqa: E402
from warehouse import db  # noqa: E402
from warehouse.runs import start_run  # noqa: E402

DEFAULT_URL = os.environ.get("FASE_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fase_bench_api")
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
                    born,
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
        "cf_base cf_status riservato run_id household_key cf_birth_date",
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


def warehouse(url: sa.URL, rebuild: bool) -> sa.Engine:
    """The bench warehouse at `url` (its database created when missing), filled unless it already holds SIZE
    published beneficiaries."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and rebuild:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM golden_record")).scalar()
    if count != SIZE:
        if count:
            raise SystemExit(f"{name} holds {count} beneficiaries, not {SIZE}: run with --rebuild")
        started = time.monotonic()
        fill(engine)
        print(f"built {name}: {SIZE} beneficiaries in {time.monotonic() - started:.0f} s")
    return engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requests_of(engine: sa.Engine, n: int = 2000, seed: int = 1) -> dict[str, list[dict]]:
    """Per endpoint, `n` requests (method, path, body) drawn from the warehouse (seeded)."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        people = conn.execute(
            sa.text("SELECT beneficiary_id, codice_fiscale, last_name, birth_date FROM golden_record")
        ).all()
        changes = conn.execute(sa.text("SELECT max(seq) FROM beneficiary_change")).scalar()
    picks = [rng.choice(people) for _ in range(n)]
    return {
        "record": [{"method": "GET", "path": f"/v1/beneficiaries/{p[0]}"} for p in picks],
        "lookup": [
            {"method": "POST", "path": "/v1/beneficiaries/lookup", "body": json.dumps({"codice_fiscale": p[1]})}
            for p in picks
        ],
        "search": [
            {
                "method": "POST",
                "path": "/v1/beneficiaries/search",
                "body": json.dumps({"last_name": p[2], "birth_date": p[3].isoformat(), "limit": 10}),
            }
            for p in picks
        ],
        "feed": [
            {"method": "GET", "path": f"/v1/changes?limit=100&cursor={encode('changes', rng.randrange(changes - 100))}"}
            for _ in range(n)
        ],
    }


LUA = """
local requests = {requests}
local headers = {headers}
local interval = {interval}
local seed = {seed}
local i = 0
function init(args)
  math.randomseed(seed)
  i = math.random(1, #requests)
end
function delay()
  if interval == 0 then return 0 end
  return math.min(math.floor(-math.log(1 - math.random()) * interval), {longest})
end
function request()
  i = i % #requests + 1
  local r = requests[i]
  local h = {{}}
  for k, v in pairs(headers) do h[k] = v end
  if r.body then h["Content-Type"] = "application/json" end
  return wrk.format(r.method, r.path, h, r.body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %.3f %.3f %.3f\\n", summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for this text (ASCII)


def lua_script(folder: Path, name: str, reqs: list[dict], headers: dict[str, str], interval_ms: int) -> Path:
    """A wrk script cycling through `reqs`, each connection waiting a random time of mean `interval_ms` (exponential,
    also before its first request) between an answer and its next request: the connections' requests arrive as a
    Poisson stream instead of the synchronised bursts a fixed interval keeps forever (0: no wait, a closed loop)."""
    rows = ",\n".join(
        "{method=" + _lua_string(r["method"]) + ", path=" + _lua_string(r["path"])
        + (", body=" + _lua_string(r["body"]) if "body" in r else "") + "}"
        for r in reqs
    )  # fmt: skip
    head = "{" + ", ".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in headers.items()) + "}"
    path = folder / f"{name}.lua"
    seed = sum(name.encode())  # each script its own random stream (wrk's Lua would give all the same)
    path.write_text(
        LUA.format(requests="{" + rows + "}", headers=head, interval=interval_ms, seed=seed, longest=4 * interval_ms)
    )
    return path


def wrk(base: str, script: Path, connections: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds:.0f}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wrk_result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if m is None:
        raise SystemExit(f"wrk said:\n{out}")
    n, micros, status_errors, socket_errors, timeouts = (int(x) for x in m.groups()[:5])
    p50, p95, p99 = (float(x) for x in m.groups()[5:])
    return {"requests": n, "seconds": micros / 1e6, "status_errors": status_errors, "socket_errors": socket_errors,
            "timeouts": timeouts, "p50": p50, "p95": p95, "p99": p99}  # fmt: skip


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server process and its workers."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


SHARES = {"record": 0.4, "lookup": 0.2, "search": 0.2, "feed": 0.2}
LABELS = {
    "record": "GET /v1/beneficiaries/{id}",
    "lookup": "POST /v1/beneficiaries/lookup",
    "search": "POST /v1/beneficiaries/search",
    "feed": "GET /v1/changes (pages of 100)",
}


def start_server(url: sa.URL, workers: int, folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = folder / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{url.render_as_string(hide_password=True)}'}}\nsources:\n"
        f"  sat: {{base_url: 'http://x'}}\n  polis: {{base_url: 'http://x'}}\n"
        f"  anagrafe: {{folder: '{folder}'}}\n  volontariato: {{url: 'sqlite://'}}\n"
        f"  contabilita: {{url: 'sqlite://'}}\n"
    )
    env = {**os.environ, "FASE_PSEUDONYM_KEY": os.environ.get("FASE_PSEUDONYM_KEY", "bench-pseudonym-key")}
    fase = Path(sys.executable).with_name("fase")
    server = subprocess.Popen(
        [str(fase), "--config", str(config), "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/v1/ready", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            raise SystemExit("fase serve did not become ready")
        time.sleep(0.3)


def measure_cpu(base: str, pid: int, scripts: dict[str, Path], seconds: float) -> dict[str, float]:
    """CPU milliseconds of the server per request, each endpoint alone (2 connections, closed loop)."""
    out = {}
    for kind, script in scripts.items():
        before = server_cpu(pid)
        res = wrk_result(wrk(base, script, 2, seconds))
        out[kind] = (server_cpu(pid) - before) * 1000 / max(res["requests"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL URL of the bench warehouse (env FASE_BENCH_URL)")
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cpu-seconds", type=float, default=8.0, help="closed-loop run per endpoint for its CPU cost")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench-tools` (Debian package wrk)")

    url = sa.make_url(args.url)
    engine = warehouse(url, args.rebuild)
    reqs = requests_of(engine)
    keys = {
        role: create_client(engine, f"bench {role}", role, "load test", rate_limit_per_minute=10_000_000)[1]
        for role in ("case_worker", "integration")
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, base = start_server(url, args.workers, folder)
        try:
            closed, paced, connections = {}, {}, {}
            for kind, rs in reqs.items():
                key = keys["integration" if kind == "feed" else "case_worker"]
                headers = {"Authorization": f"Bearer {key}", "X-User-Id": "bench", "X-User-Location": "loopback"}
                closed[kind] = lua_script(folder, f"{kind}_closed", rs, headers, 0)
                rate = args.rate * SHARES[kind]
                connections[kind] = max(1, round(rate))  # one request a second per connection
                paced[kind] = lua_script(folder, f"{kind}_paced", rs, headers, 1000)
            measure_cpu(base, server.pid, closed, 2)  # warm-up: pools, key cache, plans
            cpu = measure_cpu(base, server.pid, closed, args.cpu_seconds)
            load_before = os.getloadavg()[0]
            runs = {kind: wrk(base, paced[kind], connections[kind], args.seconds) for kind in paced}
            results = {kind: wrk_result(proc) for kind, proc in runs.items()}
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            server.wait(20)
    total = sum(r["requests"] for r in results.values()) / args.seconds
    errors = sum(r["status_errors"] + r["socket_errors"] + r["timeouts"] for r in results.values())
    print(
        f"api_load: {SIZE} beneficiaries on PostgreSQL ({url.database}), {args.workers} workers, wrk at "
        f"{args.rate:.0f} req/s for {args.seconds:.0f} s"
    )
    print(
        f"  achieved {total:.1f} req/s, {errors} errors; load average before {load_before:.1f}, after "
        f"{load_after:.1f} (2 cores shared with PostgreSQL, wrk and whatever else runs on the machine)"
    )
    print(
        f"  {'endpoint':<32}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'CPU ms/req':>12}"
    )
    for kind, r in results.items():
        errs = r["status_errors"] + r["socket_errors"] + r["timeouts"]
        print(
            f"  {LABELS[kind]:<32}{r['requests']:>7}{r['requests'] / args.seconds:>8.1f}{r['p50']:>9.1f}"
            f"{r['p95']:>9.1f}{r['p99']:>9.1f}{errs:>8}{cpu[kind]:>12.2f}"
        )
    print("  target: p95 < 50 ms for each, zero errors; record <= 3 ms CPU per request (API processes)")


if __name__ == "__main__":
    main()
