"""Console pages on a 100k-beneficiary PostgreSQL warehouse: server time of the review item and 360° pages.

    .venv/bin/python bench/console_load.py postgresql+psycopg://postgres@127.0.0.1:5432/fase_bench_console
        [--requests 300] [--items 2000] [--rebuild]

Warehouse (the database of the URL, created when missing, built once and reused; --rebuild to redo): the
synthetic fill of bench/api_load.py (100k beneficiaries, ~1.4 source records each, golden record with provenance,
households, stays, residences, placements, services, payments, change feed), plus what the review pages read: a
linkage model — fitted for real (EM) by `fase link` on a 2,000-person sandbox world in a scratch SQLite warehouse,
then recorded as the bench warehouse's last linkage run — and ITEMS open review items between homonyms (records of
different beneficiaries with the same name; some share a record, so items have competitors), each with the
Explainer's evidence. Server: `fase serve` (one worker) on loopback; a steward signs in through the form. Timing:
requests one at a time (closed loop) over a keep-alive connection, from the request's start to the full page, on
random items and beneficiaries, after a warm-up; the first review item page, which builds the Explainer (it loads
every staged person record), is reported apart. Prints p50/p95/p99 per page; the target (p95 < 100 ms) is printed,
not asserted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from api.clients import create_client  # noqa: E402
from warehouse import db  # noqa: E402

api_load = importlib.import_module("api_load")  # its synthetic fill, shared
TARGET_MS = 100.0
MODEL_PEOPLE = 2000


def ensure_database(url: sa.URL, rebuild: bool) -> sa.Engine:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
        if exists and rebuild:
            conn.execute(sa.text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


def fitted_model() -> tuple[dict, dict]:
    """(settings, model) of a real linkage run: a small sandbox world synced, staged and linked (EM)."""
    from configuration import SYSTEMS, load_env_file, parse_config
    from connectors.registry import sync_system
    from matching import pipeline, store
    from sandbox import services, world
    from schemas.stage import stage_system

    with tempfile.TemporaryDirectory(prefix="fase-console-bench-") as tmp:
        folder, url = Path(tmp) / "sandbox", f"sqlite:///{tmp}/model.db"
        world.generate(folder, MODEL_PEOPLE, 42)
        load_env_file(folder / "secrets.env")
        engine = db.make_engine(url)
        db.upgrade(engine)
        with services.running(folder) as urls:
            sources = {
                "sat": {"base_url": urls["sat"]},
                "polis": {"base_url": urls["polis"]},
                "anagrafe": {"folder": str(folder / "anagrafe")},
                "volontariato": {"url": f"sqlite:///{folder / 'volontariato.db'}"},
                "contabilita": {"url": f"sqlite:///{folder / 'contabilita.db'}"},
            }
            cfg = parse_config({"warehouse": {"url": url}, "sources": sources}, "bench")
            for system in SYSTEMS:
                sync_system(cfg, engine, system)
                stage_system(cfg, engine, system)
        pipeline.link(engine, "full", trigger="bench")
        with engine.connect() as conn:
            run = store.last_linkage(conn)
        engine.dispose()
        return run.settings, run.model.to_dict()


def record_linkage(engine: sa.Engine, settings: dict, model: dict) -> int:
    """The fitted model as the warehouse's last (successful) linkage run."""
    from matching import store
    from warehouse.runs import finish_run, start_run

    run_id = start_run(engine, "link", trigger="bench")
    with engine.begin() as conn:
        conn.execute(
            store.LRUN.insert().values(
                run_id=run_id, mode="full", settings=settings, model=model, metrics={"bench": True}
            )
        )
    finish_run(engine, run_id, {"bench": "model fitted on a 2,000-person sandbox world"})
    return run_id


def open_items(engine: sa.Engine, run_id: int, count: int) -> None:
    """Review items between homonyms (records of different beneficiaries bearing the same name), in chains of
    three so that items share records; evidence as the linkage run would store it."""
    from matching import store
    from matching.explain import Explainer
    from matching.review import evidence_from

    rng = random.Random(7)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                store.STG.c.source_system, store.STG.c.source_person_id, store.STG.c.first_name, store.STG.c.last_name
            )
            .where(store.STG.c.source_system == "anagrafe")
            .order_by(store.STG.c.source_person_id)
        ).all()
    by_name: dict[tuple, list[str]] = {}
    for system, sid, first, last in rows:
        by_name.setdefault((first, last), []).append(store.record_key(system, sid))
    explainer = Explainer(engine)
    items, seen = [], set()
    names = sorted(by_name)
    while len(items) < count:
        keys = rng.sample(by_name[rng.choice(names)], 3)
        for a, b in ((keys[0], keys[1]), (keys[1], keys[2])):
            pair = store.ordered_pair(a, b)
            if pair in seen or len(items) >= count:
                continue
            seen.add(pair)
            e = explainer.explain(*pair)
            items.append(
                {
                    **store.pair_columns(*pair),
                    "match_weight": float(e["match_weight"]),
                    "probability": float(e["match_probability"]),
                    "evidence": evidence_from(e, "review band"),
                    "status": "open",
                    "created_run_id": run_id,
                }
            )
    with engine.begin() as conn:
        store.insert_rows(conn, store.REVIEW, items)


def build(url: sa.URL, rebuild: bool, items: int) -> sa.Engine:
    engine = ensure_database(url, rebuild)
    with engine.connect() as conn:
        people = conn.execute(sa.text("SELECT count(*) FROM golden_record")).scalar()
        queued = conn.execute(sa.text("SELECT count(*) FROM review_item")).scalar()
    if people != api_load.SIZE:
        if people:
            raise SystemExit(f"{url.database} holds {people} beneficiaries, not {api_load.SIZE}: run with --rebuild")
        t = time.monotonic()
        api_load.fill(engine)
        print(f"filled {api_load.SIZE:,} beneficiaries in {time.monotonic() - t:.0f} s", flush=True)
    if not queued:
        t = time.monotonic()
        settings, model = fitted_model()
        run_id = record_linkage(engine, settings, model)
        open_items(engine, run_id, items)
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
        print(f"model fitted and {items:,} review items opened in {time.monotonic() - t:.0f} s", flush=True)
    return engine


def serve(url: sa.URL, tmp: Path) -> tuple[subprocess.Popen, str]:
    config = tmp / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{url.render_as_string(hide_password=True)}'}}\nsources:\n"
        f"  sat: {{base_url: 'http://x'}}\n  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    port = api_load.free_port()
    env = {**os.environ, "FASE_PSEUDONYM_KEY": "bench-pseudonym", "FASE_CONSOLE_SECRET": "bench-console-secret"}
    command = [str(Path(sys.executable).with_name("fase")), "--config", str(config), "serve", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/v1/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            raise SystemExit("fase serve did not become ready")
        time.sleep(0.3)


def timed(client: httpx.Client, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        t = time.perf_counter()
        r = client.get(path)
        out.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code}")
    return out


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="PostgreSQL database URL of the bench warehouse (created when missing)")
    ap.add_argument("--requests", type=int, default=300, help="timed requests per page")
    ap.add_argument("--items", type=int, default=2000, help="review items to open when building")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    url = sa.make_url(args.url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("the console benchmark runs on PostgreSQL")
    engine = build(url, args.rebuild, args.items)
    with engine.connect() as conn:
        items = list(conn.execute(sa.text("SELECT review_id FROM review_item")).scalars())
        people = list(conn.execute(sa.text("SELECT beneficiary_id FROM golden_record")).scalars())
    _, key = create_client(engine, "bench steward", "steward", "console benchmark", rate_limit_per_minute=10_000_000)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = serve(url, Path(tmp))
        try:
            with httpx.Client(base_url=base, timeout=300, follow_redirects=True) as client:
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
                signed = client.post("/console/login", data={"api_key": key, "csrf_token": token})
                if "/console/login" in str(signed.url):
                    raise SystemExit("sign-in failed")
                first = timed(client, [f"/console/review/{items[0]}"])[0]
                timed(client, [f"/console/review/{i}" for i in rng.sample(items, 20)])  # warm-up
                timed(client, [f"/console/beneficiaries/{b}" for b in rng.sample(people, 20)])
                load_before = os.getloadavg()[0]
                review = timed(client, [f"/console/review/{i}" for i in rng.choices(items, k=args.requests)])
                profile = timed(client, [f"/console/beneficiaries/{b}" for b in rng.choices(people, k=args.requests)])
        finally:
            proc.terminate()
            proc.wait(20)
    print(f"console_load: {api_load.SIZE:,} beneficiaries, {len(items):,} review items on PostgreSQL, 1 worker")
    print(f"  first review item page (builds the Explainer over every staged record): {first:.1f} s")
    print(f"  load average before timing {load_before:.1f} (2 cores shared with PostgreSQL)")
    print(f"  {'page':<34}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   target p95 < {TARGET_MS:.0f} ms")
    for label, values in (("GET /console/review/{id}", review), ("GET /console/beneficiaries/{id}", profile)):
        p95 = pct(values, 95)
        verdict = "met" if p95 < TARGET_MS else "NOT met"
        print(f"  {label:<34}{len(values):>6}{pct(values, 50):>9.1f}{p95:>9.1f}{pct(values, 99):>9.1f}   {verdict}")


if __name__ == "__main__":
    main()
