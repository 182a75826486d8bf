"""Warehouse I/O of the identity engine: read stg_person and the identity tables, write them back.

Records are identified by their key ``"system:source_person_id"`` (`record_key`) and always kept in
key order, so that positions are the same in every process. Nothing here decides anything: the
pipeline (matching/pipeline.py) and the id assignment (matching/identity.py) do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from matching.scoring import FittedModel
from matching.settings import LinkageSettings
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES, PipelineRun

STG = STAGING_TABLES["stg_person"]
BEN = IDENTITY_TABLES["beneficiary"]
XW = IDENTITY_TABLES["beneficiary_crosswalk"]
CHANGE = IDENTITY_TABLES["beneficiary_change"]
PAIR = IDENTITY_TABLES["match_pair"]
REVIEW = IDENTITY_TABLES["review_item"]
CONSTRAINT = IDENTITY_TABLES["link_constraint"]
LRUN = IDENTITY_TABLES["linkage_run"]
WORK = IDENTITY_TABLES["linkage_work"]

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


# --------------------------------------------------------------------------- reading frames
_IMMUTABLE = (str, int, float, bool, bytes, date, datetime, time, Decimal, type(None))


def read_frame(conn: Connection, query: sa.Select, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of `query` as a frame (`columns` names its selected columns): the driver's tuples as they come,
    without a SQLAlchemy Row per row (building them, then a tuple of each for pandas, cost more than the query
    at a hundred thousand rows), each column through its SQL type's result processing (dates and booleans
    on SQLite, UTC timestamps) once per distinct value; the frame pandas makes of the Rows."""
    result = conn.execute(query)
    try:
        cursor = result.cursor
        description = cursor.description
        rows = cursor.fetchall()
    finally:
        result.close()
    types = [c.type for c in query.selected_columns]
    procs = [t._cached_result_processor(conn.dialect, d[1]) for t, d in zip(types, description)]
    df = pd.DataFrame(rows, columns=list(columns))
    todo = [k for k, proc in enumerate(procs) if proc is not None]
    if rows and todo:  # those columns again from their processed values, inferred as pandas infers rows
        done = pd.DataFrame(list(zip(*(_processed([r[k] for r in rows], procs[k]) for k in todo))))
        for n, k in enumerate(todo):
            df.isetitem(k, done.iloc[:, n])
    return df


def _processed(values: list, proc) -> list:
    """`proc` of each value, computed once per distinct value (of one type: 1 and True stay apart) when the
    values are hashable and the results immutable (a JSON document is not shared between rows)."""
    try:
        memo = dict.fromkeys(zip(map(type, values), values))
    except TypeError:  # an unhashable raw value
        return [proc(v) for v in values]
    for key in memo:
        memo[key] = proc(key[1])
    if not all(isinstance(r, _IMMUTABLE) for r in memo.values()):
        return [proc(v) for v in values]
    return [memo[key] for key in zip(map(type, values), values)]


# --------------------------------------------------------------------------- stg_person
def person_columns(settings: LinkageSettings) -> list[str]:
    wanted = set(settings.required_columns()) | set(CONSTRAINT_COLUMNS) | set(KEY_COLUMNS) | {"run_id"}
    return [c.name for c in STG.columns if c.name in wanted]


def read_persons(
    conn_or_engine,
    settings: LinkageSettings | None,
    *,
    columns: Sequence[str] | None = None,
    keys: Iterable[str] | None = None,
    compact: bool = False,
) -> pd.DataFrame:
    """stg_person rows (the given columns, else those the settings read), index = record key, sorted by key.

    `compact` (a whole population for linkage) stores every text or date column whose values repeat (at most half as many distinct values as rows: systems,
    sexes, statuses, names, birth dates) as a pandas Categorical, each value held once."""
    if columns is None and settings is None:
        raise ValueError("read_persons needs the settings or the columns to read")
    cols = list(columns) if columns is not None else person_columns(settings)  # type: ignore[arg-type]  # checked above
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
        df = read_frame(conn, q, cols)
    for c in ("birth_date", "cf_birth_date"):
        if c in df.columns:
            df[c] = df[c].astype(object)
    df.index = pd.Index(keys_of(df), name="record_key")
    if compact:
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = _compacted(df[c])
    return df.sort_index(kind="stable")


def _compacted(col: pd.Series) -> pd.Series:
    """`col` as a Categorical when its values repeat (at most half as many distinct values as rows), else as it is:
    one factorisation decides and builds it, categories sorted as `astype("category")` sorts them."""
    codes, uniques = pd.factorize(col.to_numpy(dtype=object))
    if len(uniques) > len(col) // 2:
        return col
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:  # values that do not sort: as pandas takes them
        return col.astype("category")
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order], rank[-1] = np.arange(len(order)), -1  # a missing value's code -1 stays -1
    categorical = pd.Categorical.from_codes(rank[codes], dtype=pd.CategoricalDtype(uniques[order]))
    return pd.Series(categorical, index=col.index, name=col.name)


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
    df = read_frame(
        conn,
        sa.select(
            XW.c.source_system, XW.c.source_person_id, XW.c.beneficiary_id, XW.c.match_probability, XW.c.linked_run_id
        ),
        ["source_system", "source_person_id", "beneficiary_id", "match_probability", "linked_run_id"],
    )
    df.index = pd.Index(keys_of(df), name="record_key")
    return df.sort_index()


def read_beneficiaries(conn) -> pd.DataFrame:
    df = read_frame(
        conn,
        sa.select(
            BEN.c.beneficiary_id,
            BEN.c.status,
            BEN.c.merged_into,
            BEN.c.record_count,
            BEN.c.created_run_id,
            BEN.c.created_at,
        ),
        ["beneficiary_id", "status", "merged_into", "record_count", "created_run_id", "created_at"],
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
    """Insert `rows` (dicts by column name, the same columns in each) in bulk, in the connection's transaction:
    COPY on PostgreSQL through psycopg, the driver's executemany on SQLite, else executemany in chunks of `chunk`
    (SQLAlchemy batches the rows into multi-row INSERTs where the driver allows). Returns the number of rows."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_rows(conn, table, rows)
        return len(rows)
    if conn.dialect.name == "sqlite" and conn.dialect.paramstyle == "qmark":
        _sqlite_rows(conn, table, rows, chunk)
        return len(rows)
    for start in range(0, len(rows), chunk):
        conn.execute(table.insert(), rows[start : start + chunk])
    return len(rows)


def _bound_columns(conn: Connection, table: sa.Table, rows: list[dict]) -> tuple[list[sa.Column], list[list]]:
    """The columns of the first row and each one's values through its column type's bind processing (UTC
    timestamps, JSON documents), as an INSERT would send them."""
    cols = [c for c in table.columns if c.name in rows[0]]
    values = []
    for c in cols:
        proc = c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        raw = [row.get(c.name) for row in rows]
        values.append(raw if proc is None else _processed(raw, proc))
    return cols, values


def _sqlite_rows(conn: Connection, table: sa.Table, rows: list[dict], chunk: int) -> None:
    """INSERT `rows` through the driver's executemany, each column's values bound once per distinct value (the
    rows of a run share its timestamps): SQLAlchemy's per-row parameter processing cost more than SQLite."""
    cols, values = _bound_columns(conn, table, rows)
    quote = conn.dialect.identifier_preparer
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote.format_table(table), ", ".join(quote.format_column(c) for c in cols), ", ".join("?" * len(cols))
    )
    tuples = list(zip(*values))
    for start in range(0, len(tuples), chunk):
        conn.exec_driver_sql(sql, tuples[start : start + chunk])


def _copy_rows(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY `rows` into `table` (the columns of the first row; the others take their defaults), each value,
    None too (a JSON column's None is the JSON null), through its column type's bind processing (UTC timestamps,
    JSON documents) as an INSERT would."""
    from psycopg import sql

    cols, values = _bound_columns(conn, table, rows)
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in cols)
    )
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection has no DBAPI connection to COPY through")
    with raw.cursor() as cur, cur.copy(query) as copy:
        for row in zip(*values):
            copy.write_row(row)


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


# --------------------------------------------------------------------------- match_pair writes
_PAIR_KEY = ("left_system", "left_id", "right_system", "right_id")


def _pair_match(table: sa.Table, run_id: int):
    return sa.and_(table.c.run_id == run_id, *(table.c[k] == sa.bindparam(f"_{k}") for k in _PAIR_KEY))


def replace_pairs(conn: Connection, run_id: int, rows: list[dict]) -> None:
    """Store a partition's scored pairs under the run; a retried partition replaces its earlier rows."""
    if (
        rows
        and conn.execute(
            sa.select(sa.literal(1)).where(PAIR.c.run_id == run_id, *(PAIR.c[k] == rows[0][k] for k in _PAIR_KEY))
        ).first()
    ):
        conn.execute(PAIR.delete().where(_pair_match(PAIR, run_id)), [{f"_{k}": r[k] for k in _PAIR_KEY} for r in rows])
    insert_rows(conn, PAIR, rows)


def set_pair_decisions(conn: Connection, run_id: int, pairs: pd.DataFrame, decisions: dict[int, str]) -> None:
    """Update the decision of the run's pairs at the given row positions of `pairs` (read_pairs' frame)."""
    if decisions:
        conn.execute(
            PAIR.update().where(_pair_match(PAIR, run_id)).values(decision=sa.bindparam("decision")),
            [{**{f"_{k}": pairs.at[n, k] for k in _PAIR_KEY}, "decision": d} for n, d in decisions.items()],
        )


def carry_forward_pairs(conn: Connection, run_id: int, previous_run: int, changed_keys: list[str]) -> int:
    """Copy the previous run's pairs between records that did not change into this run; returns how many."""
    tmp = sa.Table(
        "tmp_link_changed",
        sa.MetaData(),
        sa.Column("system", sa.String(20)),
        sa.Column("sid", sa.String(64)),
        prefixes=["TEMPORARY"],
    )
    tmp.drop(conn, checkfirst=True)
    tmp.create(conn)
    insert_rows(conn, tmp, [dict(zip(("system", "sid"), split_key(k))) for k in changed_keys])
    m = PAIR.alias("m")

    def touched(side: str):
        return sa.exists().where(tmp.c.system == m.c[f"{side}_system"], tmp.c.sid == m.c[f"{side}_id"])

    cols = [*_PAIR_KEY, "match_weight", "probability", "decision", "levels"]
    sel = sa.select(sa.literal(run_id).label("run_id"), *[m.c[c] for c in cols]).where(
        m.c.run_id == previous_run, ~touched("left"), ~touched("right")
    )
    count = sa.select(sa.func.count()).select_from(PAIR).where(PAIR.c.run_id == run_id)
    before = conn.execute(count).scalar_one()
    conn.execute(PAIR.insert().from_select(["run_id", *cols], sel))  # rowcount is -1 on some drivers
    tmp.drop(conn)
    return int(conn.execute(count).scalar_one() - before)


def prune_pairs(conn: Connection, keep_runs: int) -> None:
    """Keep the pairs (and stored work) of the last `keep_runs` linkage runs only."""
    keep = conn.execute(sa.select(LRUN.c.run_id).order_by(LRUN.c.run_id.desc()).limit(keep_runs)).scalars().all()
    if keep:
        conn.execute(PAIR.delete().where(PAIR.c.run_id < min(keep)))
        conn.execute(WORK.delete().where(WORK.c.run_id < min(keep)))


# --------------------------------------------------------------------------- beneficiary and crosswalk writes
def write_beneficiaries(conn: Connection, run_id: int, now, assignment, previous: pd.DataFrame) -> None:
    """Insert the ids created by `assignment` (identity.Assignment) and update the status, merge target and
    record count of every other id whose values changed."""
    counts = {b: len(r) for b, r in assignment.members.items()}
    insert_rows(
        conn,
        BEN,
        [
            dict(
                beneficiary_id=b,
                status="active",
                merged_into=None,
                record_count=counts[b],
                created_run_id=run_id,
                updated_run_id=run_id,
                created_at=now,
                updated_at=now,
            )
            for b in assignment.created
        ],
    )
    current = {
        b: (s, m, c)
        for b, s, m, c in zip(
            previous["beneficiary_id"], previous["status"], previous["merged_into"], previous["record_count"]
        )
    }
    created = set(assignment.created)
    want = {b: ("active", None, n) for b, n in counts.items() if b not in created}
    want.update({b: ("merged", s, 0) for b, s in assignment.merged.items()})
    want.update({b: ("retired", None, 0) for b in assignment.retired})
    changed = [{"b": b, "s": s, "m": m, "c": c} for b, (s, m, c) in want.items() if current.get(b) != (s, m, c)]
    if changed:
        conn.execute(
            BEN.update()
            .where(BEN.c.beneficiary_id == sa.bindparam("b"))
            .values(
                status=sa.bindparam("s"),
                merged_into=sa.bindparam("m"),
                record_count=sa.bindparam("c"),
                updated_run_id=run_id,
                updated_at=now,
            ),
            changed,
        )


def write_crosswalk(
    conn: Connection, run_id: int, now, keys: np.ndarray, bids: np.ndarray, prob: np.ndarray, previous: pd.DataFrame
) -> dict:
    """Make the crosswalk say `bids` (and match probability `prob`) for `keys`, by difference with `previous`
    (read_crosswalk); records not in `keys` leave it. Returns the counts written."""
    old_b = previous["beneficiary_id"].reindex(keys).to_numpy(dtype=object)
    old_p = previous["match_probability"].reindex(keys).to_numpy(dtype=float)
    is_new = ~pd.Index(keys).isin(previous.index)
    moved = ~is_new & (old_b != bids)
    reprob = ~is_new & ~moved & ~((np.isnan(old_p) & np.isnan(prob)) | (np.abs(old_p - prob) < 1e-9))
    gone = previous.index[~previous.index.isin(pd.Index(keys))]
    if len(gone):
        conn.execute(
            XW.delete().where(XW.c.source_system == sa.bindparam("s"), XW.c.source_person_id == sa.bindparam("i")),
            [dict(zip("si", split_key(k))) for k in gone],
        )

    def p(v):
        return None if np.isnan(v) else float(v)

    insert_rows(
        conn,
        XW,
        [
            dict(
                zip(KEY_COLUMNS, split_key(keys[n])),
                beneficiary_id=bids[n],
                match_probability=p(prob[n]),
                linked_run_id=run_id,
                linked_at=now,
            )
            for n in np.flatnonzero(is_new)
        ],
    )
    stmt = XW.update().where(XW.c.source_system == sa.bindparam("s"), XW.c.source_person_id == sa.bindparam("i"))
    moved_rows = [dict(zip("si", split_key(keys[n])), b=bids[n], p=p(prob[n])) for n in np.flatnonzero(moved)]
    if moved_rows:
        conn.execute(
            stmt.values(
                beneficiary_id=sa.bindparam("b"),
                match_probability=sa.bindparam("p"),
                linked_run_id=run_id,
                linked_at=now,
            ),
            moved_rows,
        )
    prob_rows = [dict(zip("si", split_key(keys[n])), p=p(prob[n])) for n in np.flatnonzero(reprob)]
    if prob_rows:
        conn.execute(stmt.values(match_probability=sa.bindparam("p")), prob_rows)
    return {
        "inserted": int(is_new.sum()),
        "moved": int(moved.sum()),
        "deleted": int(len(gone)),
        "probability_updated": int(reprob.sum()),
    }


def review_pair_levels(conn: Connection, run_id: int) -> dict:
    """Levels of the run's pairs whose (final) decision is review, by (left key, right key)."""
    rows = conn.execute(
        sa.select(PAIR.c.left_system, PAIR.c.left_id, PAIR.c.right_system, PAIR.c.right_id, PAIR.c.levels).where(
            PAIR.c.run_id == run_id, PAIR.c.decision == "review"
        )
    )
    return {(record_key(a, b), record_key(c, d)): lv for a, b, c, d, lv in rows}


# --------------------------------------------------------------------------- linkage_run rows
@dataclass
class LinkageRecord:
    """A linkage_run row: the run's id, mode, settings (as stored), fitted model and metrics."""

    run_id: int
    mode: str
    settings: dict
    model: FittedModel
    metrics: dict


def _linkage_select():
    return sa.select(LRUN.c.run_id, LRUN.c.mode, LRUN.c.settings, LRUN.c.model, LRUN.c.metrics)


def _record(row) -> LinkageRecord:
    return LinkageRecord(row.run_id, row.mode, row.settings, FittedModel.from_dict(row.model), dict(row.metrics or {}))


def linkage_by_id(conn: Connection, run_id: int) -> LinkageRecord | None:
    row = conn.execute(_linkage_select().where(LRUN.c.run_id == run_id)).first()
    return _record(row) if row else None


def last_linkage(conn: Connection, status: str = "success") -> LinkageRecord | None:
    """The latest linkage run whose pipeline run has `status` (success: the current state of the identity layer)."""
    R = PipelineRun.__table__
    row = conn.execute(
        _linkage_select()
        .join(R, R.c.run_id == LRUN.c.run_id)
        .where(R.c.status == status)
        .order_by(LRUN.c.run_id.desc())
        .limit(1)
    ).first()
    return _record(row) if row else None


def run_status(conn: Connection, run_id: int) -> str | None:
    """The pipeline_run status of a run (running, success, failed, abandoned), None when there is no such run."""
    R = PipelineRun.__table__
    return conn.execute(sa.select(R.c.status).where(R.c.run_id == run_id)).scalar()


def insert_linkage(
    conn: Connection, run_id: int, mode: str, settings: LinkageSettings, model: FittedModel, metrics: dict
) -> LinkageRecord:
    conn.execute(
        LRUN.insert().values(
            run_id=run_id, mode=mode, settings=settings.model_dump(mode="json"), model=model.to_dict(), metrics=metrics
        )
    )
    return LinkageRecord(run_id, mode, settings.model_dump(mode="json"), model, metrics)


def update_linkage_metrics(conn: Connection, run_id: int, metrics: dict) -> None:
    conn.execute(LRUN.update().where(LRUN.c.run_id == run_id).values(metrics=metrics))
