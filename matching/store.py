"""Warehouse I/O of the identity engine: read stg_person and the identity tables, write them back.

Records are identified by their key ``"system:source_person_id"`` (`record_key`) and always kept in
key order, so that positions are the same in every process. Nothing here decides anything: the
pipeline (matching/pipeline.py) and the id assignment (matching/identity.py) do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from matching.settings import LinkageSettings
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES

STG = STAGING_TABLES["stg_person"]
BEN = IDENTITY_TABLES["beneficiary"]
XW = IDENTITY_TABLES["beneficiary_crosswalk"]
CHANGE = IDENTITY_TABLES["beneficiary_change"]
PAIR = IDENTITY_TABLES["match_pair"]
REVIEW = IDENTITY_TABLES["review_item"]
CONSTRAINT = IDENTITY_TABLES["link_constraint"]
LRUN = IDENTITY_TABLES["linkage_run"]

KEY_COLUMNS = ("source_system", "source_person_id")
CONSTRAINT_COLUMNS = ("cf_base", "cf_status", "cf_consistent")
WRITE_CHUNK = 20_000


def record_key(system: str, source_id: str) -> str:
    return f"{system}:{source_id}"


def split_key(key: str) -> tuple[str, str]:
    """'sat:7141' -> ('sat', '7141'); raises ValueError on a key without a system."""
    system, sep, sid = str(key).partition(":")
    if not sep or not system or not sid:
        raise ValueError(f"record key {key!r} is not 'system:id'")
    return system, sid


def keys_of(frame: pd.DataFrame, system: str = "source_system", sid: str = "source_person_id") -> np.ndarray:
    if frame.empty:
        return np.empty(0, dtype=object)
    return (frame[system].astype(str) + ":" + frame[sid].astype(str)).to_numpy(dtype=object)


# --------------------------------------------------------------------------- stg_person
def person_columns(settings: LinkageSettings) -> list[str]:
    wanted = set(settings.required_columns()) | set(CONSTRAINT_COLUMNS) | set(KEY_COLUMNS) | {"run_id"}
    return [c.name for c in STG.columns if c.name in wanted]


def read_persons(
    conn_or_engine,
    settings: LinkageSettings,
    *,
    columns: Sequence[str] | None = None,
    keys: Iterable[str] | None = None,
) -> pd.DataFrame:
    """stg_person rows (the columns the settings read), index = record key, sorted by key."""
    cols = list(columns) if columns is not None else person_columns(settings)
    for c in KEY_COLUMNS:
        if c not in cols:
            cols.insert(0, c)
    q = sa.select(*[STG.c[c] for c in cols])
    if keys is not None:
        wanted = [split_key(k) for k in keys]
        if not wanted:
            return pd.DataFrame(columns=cols)
        q = q.where(sa.tuple_(STG.c.source_system, STG.c.source_person_id).in_(wanted))
    with _connect(conn_or_engine) as conn:
        rows = conn.execute(q).all()
    df = pd.DataFrame(rows, columns=cols)
    for c in ("birth_date", "cf_birth_date"):
        if c in df.columns:
            df[c] = df[c].astype(object)
    df.index = pd.Index(keys_of(df), name="record_key")
    return df.sort_index(kind="stable")


class _connect:
    """Use a Connection as it is, or open one from an Engine."""

    def __init__(self, target):
        self.target, self.conn = target, None

    def __enter__(self) -> Connection:
        if isinstance(self.target, Connection):
            return self.target
        self.conn = self.target.connect()
        return self.conn

    def __exit__(self, *exc):
        if self.conn is not None:
            self.conn.close()


# --------------------------------------------------------------------------- identity tables
def read_crosswalk(conn) -> pd.DataFrame:
    """Current crosswalk: index = record key; beneficiary_id, match_probability, linked_run_id."""
    rows = conn.execute(
        sa.select(
            XW.c.source_system, XW.c.source_person_id, XW.c.beneficiary_id, XW.c.match_probability, XW.c.linked_run_id
        )
    ).all()
    df = pd.DataFrame(
        rows, columns=["source_system", "source_person_id", "beneficiary_id", "match_probability", "linked_run_id"]
    )
    df.index = pd.Index(keys_of(df), name="record_key")
    return df.sort_index()


def read_beneficiaries(conn) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(
            BEN.c.beneficiary_id,
            BEN.c.status,
            BEN.c.merged_into,
            BEN.c.record_count,
            BEN.c.created_run_id,
            BEN.c.created_at,
        )
    ).all()
    df = pd.DataFrame(
        rows, columns=["beneficiary_id", "status", "merged_into", "record_count", "created_run_id", "created_at"]
    )
    return df.set_index("beneficiary_id", drop=False)


def active_constraints(conn) -> pd.DataFrame:
    """Link constraints not revoked: constraint_id, kind, left key, right key, review_id, created_by."""
    rows = conn.execute(
        sa.select(
            CONSTRAINT.c.constraint_id,
            CONSTRAINT.c.kind,
            CONSTRAINT.c.left_system,
            CONSTRAINT.c.left_id,
            CONSTRAINT.c.right_system,
            CONSTRAINT.c.right_id,
            CONSTRAINT.c.review_id,
            CONSTRAINT.c.created_by,
        )
        .where(CONSTRAINT.c.revoked_at.is_(None))
        .order_by(CONSTRAINT.c.constraint_id)
    ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "constraint_id",
            "kind",
            "left_system",
            "left_id",
            "right_system",
            "right_id",
            "review_id",
            "created_by",
        ],
    )
    df["left_key"] = keys_of(df, "left_system", "left_id")
    df["right_key"] = keys_of(df, "right_system", "right_id")
    return df


def ordered_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def pair_columns(a: str, b: str) -> dict:
    a, b = ordered_pair(a, b)
    (ls, li), (rs, ri) = split_key(a), split_key(b)
    return {"left_system": ls, "left_id": li, "right_system": rs, "right_id": ri}


def insert_rows(conn: Connection, table: sa.Table, rows: list[dict], chunk: int = WRITE_CHUNK) -> int:
    for start in range(0, len(rows), chunk):
        conn.execute(table.insert(), rows[start : start + chunk])
    return len(rows)


def read_pairs(conn, run_id: int, with_levels: bool = False) -> pd.DataFrame:
    """The scored pairs stored for a run: left_key, right_key, match_weight, probability, decision (+ levels)."""
    cols = [
        PAIR.c.left_system,
        PAIR.c.left_id,
        PAIR.c.right_system,
        PAIR.c.right_id,
        PAIR.c.match_weight,
        PAIR.c.probability,
        PAIR.c.decision,
    ] + ([PAIR.c.levels] if with_levels else [])
    rows = conn.execute(sa.select(*cols).where(PAIR.c.run_id == run_id)).all()
    names = ["left_system", "left_id", "right_system", "right_id", "match_weight", "probability", "decision"]
    df = pd.DataFrame(rows, columns=names + (["levels"] if with_levels else []))
    df["left_key"] = keys_of(df, "left_system", "left_id")
    df["right_key"] = keys_of(df, "right_system", "right_id")
    return df
