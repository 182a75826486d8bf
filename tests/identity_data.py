"""stg_person rows written directly (as the stage step would) for the identity tests, and readers of the result."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pandas as pd
import sqlalchemy as sa

from matching import store
from tests.test_matching_helpers import PLACES, generate_population, person_record
from warehouse.runs import finish_run, start_run

D = dt.date
STG_COLUMNS = [c.name for c in store.STG.columns]


def row(rid: str, system: str, **kw) -> dict:
    r = person_record(rid=rid, system=system, **kw)
    r.pop("true_id", None)
    r["riservato"] = False
    return r


@lru_cache(maxsize=4)
def _background(n: int, seed: int) -> tuple:
    df = generate_population(n, seed=seed)
    rows = []
    for rec in df.to_dict("records"):
        rec.pop("true_id", None)
        rec["riservato"] = False
        rows.append({k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()})
    return tuple(rows)


def background(n: int = 150, seed: int = 5) -> list[dict]:
    """A generated population (households, twins, typos) so that EM has something to learn from."""
    return [dict(r) for r in _background(n, seed)]


def stage(engine, rows: list[dict] = (), delete: list[str] = ()) -> int:
    """Write rows into stg_person under a new stage run (replacing rows with the same key); delete keys."""
    run_id = start_run(engine, "stage", trigger="test")
    t = store.STG
    with engine.begin() as conn:
        for key in list(delete) + [store.record_key(r["source_system"], r["source_person_id"]) for r in rows]:
            s, i = store.split_key(key)
            conn.execute(t.delete().where(t.c.source_system == s, t.c.source_person_id == i))
        if rows:
            conn.execute(t.insert(), [{c: r.get(c) for c in STG_COLUMNS} | {"run_id": run_id} for r in rows])
    finish_run(engine, run_id, {})
    return run_id


def crosswalk(engine) -> dict[str, str]:
    with engine.connect() as conn:
        xw = store.read_crosswalk(conn)
    return dict(zip(xw.index, xw["beneficiary_id"]))


def clusters(engine) -> set[frozenset]:
    groups: dict[str, set] = {}
    for k, b in crosswalk(engine).items():
        groups.setdefault(b, set()).add(k)
    return {frozenset(g) for g in groups.values()}


def beneficiary(engine, bid: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(store.BEN).where(store.BEN.c.beneficiary_id == bid)).mappings().one())


def changes(engine, run_id: int | None = None) -> list[tuple]:
    C = store.CHANGE
    q = sa.select(C.c.beneficiary_id, C.c.kind, C.c.merged_into, C.c.related_ids).order_by(C.c.seq)
    if run_id is not None:
        q = q.where(C.c.run_id == run_id)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


# ---- the cases: a person whose two records only a third one bridges, and a strong triple
BRIDGE_A = row(
    "900001",
    "volontariato",
    first="ORAZZIO",
    last="FALLACCI",
    sex="M",
    birth=None,
    cf=None,
    phone="+393470000001",
    place=PLACES[0],
)
BRIDGE_B = row(
    "900002",
    "anagrafe",
    first="ORAZIO",
    last="FALLACI",
    sex="M",
    birth=D(1955, 5, 5),
    place=PLACES[0],
    street="DEI BARDI",
    number="3",
)
BRIDGE_C = row(
    "900003",
    "sat",
    first="ORAZIO",
    last="FALLACI",
    sex="M",
    birth=D(1955, 5, 5),
    cf=None,
    phone="+393470000001",
    place=PLACES[0],
)
TRIPLE = [
    row(
        "800001",
        "anagrafe",
        first="ERSILIA",
        last="MONTAUTI",
        sex="F",
        birth=D(1963, 9, 30),
        place=PLACES[3],
        street="ROMANA",
        number="12",
    ),
    row(
        "800002",
        "sat",
        first="ERSILIA",
        last="MONTAUTI",
        sex="F",
        birth=D(1963, 9, 30),
        place=PLACES[3],
        phone="+393471234500",
    ),
    row(
        "800003",
        "polis",
        first="ERSILIA",
        last="MONTAUTI",
        sex="F",
        birth=D(1963, 9, 30),
        place=PLACES[3],
        phone="+393471234500",
        street="ROMANA",
        number="12",
    ),
]


def key(r: dict) -> str:
    return store.record_key(r["source_system"], r["source_person_id"])


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)
