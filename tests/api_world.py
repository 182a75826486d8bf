"""A small warehouse for the read API tests: a sandbox synced and staged, identity from the ground truth.

``fill_identity`` plays the matcher: one beneficiary per true person over the staged person records,
then a few history cases the feed and the redirects need: an id merged into another (and one merged
into that: a chain), a split, a retired id. ``serving`` runs an app with uvicorn on a free loopback port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import uvicorn

from configuration import SYSTEMS, load_env_file
from connectors.registry import sync_system
from sandbox import services, world
from sandbox.truth import source_person_map
from schemas.stage import stage_all
from tests.helpers import make_config
from tests.stage_data import fresh_warehouse
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES
from warehouse.runs import start_run
from warehouse.types import utcnow

BEN, XW, CHANGE = (IDENTITY_TABLES[t] for t in ("beneficiary", "beneficiary_crosswalk", "beneficiary_change"))


def beneficiary_id(person_id: int) -> str:
    return f"B{person_id:08d}"


def build_sandbox_warehouse(url: str, tmp: Path, size: int = 600, seed: int = 7) -> sa.Engine:
    """Generate a sandbox, sync and stage all five systems into a fresh warehouse at `url`."""
    folder = tmp / "sandbox"
    world.generate(folder, size, seed)
    load_env_file(folder / "secrets.env")
    engine = fresh_warehouse(url)
    with services.running(folder) as urls:
        cfg = make_config(
            tmp,
            warehouse_url=url,
            sat_url=urls["sat"],
            polis_url=urls["polis"],
            anagrafe_folder=folder / "anagrafe",
            volontariato_url=f"sqlite:///{folder / 'volontariato.db'}",
            contabilita_url=f"sqlite:///{folder / 'contabilita.db'}",
        )
        for system in SYSTEMS:
            sync_system(cfg, engine, system)
        stage_all(cfg, engine)
    return engine


def _members(engine: sa.Engine, folder: Path) -> dict[str, list[tuple[str, str]]]:
    truth = source_person_map(folder)
    person = STAGING_TABLES["stg_person"]
    with engine.connect() as conn:
        staged = conn.execute(sa.select(person.c.source_system, person.c.source_person_id)).all()
    members: dict[str, list[tuple[str, str]]] = {}
    for system, sid in staged:
        members.setdefault(beneficiary_id(truth[(system, sid)]), []).append((system, sid))
    return members


def _link(conn, run_id: int, at, members: dict[str, list[tuple[str, str]]], extra: list[dict] = ()) -> None:
    stamp = dict(created_run_id=run_id, updated_run_id=run_id, created_at=at, updated_at=at)
    conn.execute(
        BEN.insert(),
        [
            dict(beneficiary_id=b, status="active", merged_into=None, record_count=len(r), **stamp)
            for b, r in members.items()
        ]
        + [{**e, **stamp} for e in extra],
    )
    conn.execute(
        XW.insert(),
        [
            dict(
                source_system=s,
                source_person_id=sid,
                beneficiary_id=b,
                match_probability=0.99,
                linked_run_id=run_id,
                linked_at=at,
            )
            for b, recs in members.items()
            for s, sid in recs
        ],
    )


def _feed(conn, run_id: int, at, entries: list[dict]) -> None:
    conn.execute(
        CHANGE.insert(),
        [dict(e, run_id=run_id, changed_at=at + timedelta(milliseconds=i)) for i, e in enumerate(entries)],
    )


def fill_identity(engine: sa.Engine, folder: Path) -> dict:
    """Beneficiaries, crosswalk and change feed from the sandbox truth, but for one beneficiary held back
    (``link_late`` links it, as a matcher run after the last publish would). Returns the ids of the cases:
    survivor (active, two systems), merged (into survivor), chained (merged into merged), split, retired, late."""
    members = _members(engine, folder)
    multi = sorted(b for b, recs in members.items() if len({s for s, _ in recs}) >= 2)
    cases = {
        "survivor": multi[0],
        "late": multi[-1],
        "merged": "M00000001",
        "chained": "M00000002",
        "split": "S00000001",
        "retired": "R00000001",
    }
    members.pop(cases["late"])
    cases["split_into"] = sorted(members)[:2]
    retired = dict(status="retired", merged_into=None, record_count=0)
    extra = [
        dict(beneficiary_id=cases["merged"], status="merged", merged_into=cases["survivor"], record_count=0),
        dict(beneficiary_id=cases["chained"], status="merged", merged_into=cases["merged"], record_count=0),
        dict(beneficiary_id=cases["split"], **retired),
        dict(beneficiary_id=cases["retired"], **retired),
    ]
    created = sorted([*members, *(e["beneficiary_id"] for e in extra)])
    feed = [dict(beneficiary_id=b, kind="created", merged_into=None, related_ids=None) for b in created]
    feed += [
        dict(beneficiary_id=cases["chained"], kind="merged", merged_into=cases["merged"], related_ids=None),
        dict(beneficiary_id=cases["merged"], kind="merged", merged_into=cases["survivor"], related_ids=None),
        dict(beneficiary_id=cases["split"], kind="split", merged_into=None, related_ids=cases["split_into"]),
        dict(beneficiary_id=cases["retired"], kind="retired", merged_into=None, related_ids=None),
    ]
    run_id = start_run(engine, "link", trigger="test")
    at = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:
        _link(conn, run_id, at, members, extra)
        _feed(conn, run_id, at, feed)
    return cases


def link_late(engine: sa.Engine, folder: Path, late: str) -> None:
    """Link the held-back beneficiary `late` and announce it in the change feed."""
    run_id = start_run(engine, "link", trigger="test")
    with engine.begin() as conn:
        _link(conn, run_id, utcnow(), {late: _members(engine, folder)[late]})
        _feed(conn, run_id, utcnow(), [dict(beneficiary_id=late, kind="created", merged_into=None, related_ids=None)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on 127.0.0.1, on a port the OS picks as uvicorn binds (no window in
    which a parallel test could take it); yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
