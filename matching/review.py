"""The review queue and the human decisions that every later linkage run respects.

review_item rows are opened by the linkage run (matching/pipeline.py) for review-band pairs and for
automatic links a hard constraint refused. A decision (`decide`) records who and when and becomes a
`must_link` / `cannot_link` row of link_constraint; the next run applies it. Everything is undoable:
`undo_decision` revokes the decision's constraint (revoked_by / revoked_at) and reopens the item;
`undo_merge` separates a merged beneficiary again (revokes the must-links that joined the two groups,
adds cannot-links between them); `undo_split` joins a split-off part back (revokes the cannot-links,
adds a must-link). The next run restores the previous ids (identity.py revives merged ids).
Every write here takes the linkage lock for its transaction, so that a decision never lands in the middle
of a linkage run: with a run going it waits up to `wait` seconds, then raises StepBusy naming the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matching import store
from warehouse import locks
from warehouse.models import PipelineRun
from warehouse.runs import lock_scope
from warehouse.types import utcnow

OPEN, MATCH, NO_MATCH = "open", "match", "no_match"
STATUSES = (OPEN, MATCH, NO_MATCH)


class ReviewError(ValueError):
    """A review operation that cannot be done as asked; the message says why."""


@contextmanager
def _decision(engine: Engine, by: str, wait: float) -> Iterator[Connection]:
    """A transaction for a review write, under the linkage lock (held by `by` for its duration)."""
    held = locks.acquire(engine, lock_scope("link"), holder=f"review decision by {by}"[:200], wait=wait, lease=60)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        held.release()


def evidence_from(explanation: dict, reason: str, candidates: list[str] | None = None) -> dict:
    """What a review item keeps of a pair's explanation (FittedModel.explain / Explainer.explain): the same
    prior, level weights, TF and population adjustments as `fase explain` shows, why it is queued and, for a
    record tied to two people who cannot be one, the `candidates` it was linked to (all of them queued)."""
    out = {
        "reason": reason,
        "prior_weight": round(float(explanation["prior_weight"]), 4),
        "population_adjustment": round(float(explanation.get("population_adjustment", 0.0)), 4),
        "other_bearers": int(explanation.get("other_bearers", 0)),
        "match_weight": round(float(explanation["match_weight"]), 4),
        "probability": float(explanation["match_probability"]),
        "comparisons": [
            {
                "comparison": r["comparison"],
                "level": r["label"],
                "weight": round(float(r["weight"]), 4),
                "tf_adjustment": round(float(r["tf_adjustment"]), 4),
            }
            for r in explanation["comparisons"]
        ],
    }
    if candidates:
        out["candidates"] = list(candidates)
    return out


def open_review_items(
    conn: Connection, pairs: pd.DataFrame, candidates: list[int], make_rows: Callable[[list[int]], list[dict]]
) -> int:
    """Open a review item for each pair at the rows `candidates` of `pairs` (left_key, right_key) that was never
    queued before; `make_rows(rows)` builds the review_item rows. Returns how many were opened."""
    if not candidates:
        return 0
    R = store.REVIEW
    existing = {
        (store.record_key(a, b), store.record_key(c, d))
        for a, b, c, d in conn.execute(sa.select(R.c.left_system, R.c.left_id, R.c.right_system, R.c.right_id)).all()
    }
    todo = [n for n in candidates if (pairs.at[n, "left_key"], pairs.at[n, "right_key"]) not in existing]
    return store.insert_rows(conn, R, make_rows(todo)) if todo else 0


def _item(conn: Connection, review_id: int):
    R = store.REVIEW
    row = conn.execute(sa.select(R).where(R.c.review_id == review_id)).mappings().first()
    if row is None:
        raise ReviewError(f"no review item {review_id}")
    return dict(row)


def _keys(item) -> tuple[str, str]:
    return (
        store.record_key(item["left_system"], item["left_id"]),
        store.record_key(item["right_system"], item["right_id"]),
    )


@dataclass(frozen=True)
class QueueFilter:
    """Which review items a queue shows: status (None: all), an unordered system pair, a probability band
    [low, high), and the age of the linkage run that opened them (in whole days, at least / at most)."""

    status: str | None = OPEN
    systems: tuple[str, str] | None = None
    band: tuple[float, float] | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None

    def without_status(self) -> QueueFilter:
        return replace(self, status=None)


REFUSED = "automatic link refused%"


def priority_order(R: sa.Table) -> list:
    """Priority of review items: automatic links the clustering refused (a constraint or an ambiguity stopped a
    link the model wanted) before review-band pairs; then the most probable first; then the oldest."""
    reason = R.c.evidence["reason"].as_string()
    return [sa.case((reason.like(REFUSED), 0), else_=1), R.c.probability.desc(), R.c.review_id]


def _filtered(q, flt: QueueFilter, now: datetime | None = None):
    R, P = store.REVIEW, PipelineRun.__table__
    if flt.status:
        q = q.where(R.c.status == flt.status)
    if flt.systems:
        a, b = sorted(flt.systems)
        q = q.where(
            sa.or_(
                sa.and_(R.c.left_system == a, R.c.right_system == b),
                sa.and_(R.c.left_system == b, R.c.right_system == a),
            )
        )
    if flt.band:
        q = q.where(R.c.probability >= flt.band[0], R.c.probability < flt.band[1])
    if flt.min_age_days is not None or flt.max_age_days is not None:
        now = now or utcnow()
        opened = sa.select(P.c.started_at).where(P.c.run_id == R.c.created_run_id).scalar_subquery()
        if flt.min_age_days is not None:
            q = q.where(opened <= now - timedelta(days=flt.min_age_days))
        if flt.max_age_days is not None:
            q = q.where(opened > now - timedelta(days=flt.max_age_days + 1))
    return q


def queue(engine: Engine, flt: QueueFilter = QueueFilter(), limit: int = 50, offset: int = 0) -> list[dict]:
    """Review items in priority order (`priority_order`), filtered: id, both record keys with the names the
    records carry now, probability, weight, status, who decided and when, why it was queued, and when the
    linkage run that opened it started."""
    R, P, S = store.REVIEW, PipelineRun.__table__, store.STG
    left, right = S.alias("left_person"), S.alias("right_person")
    q = (
        sa.select(
            R.c.review_id,
            R.c.left_system,
            R.c.left_id,
            R.c.right_system,
            R.c.right_id,
            R.c.probability,
            R.c.match_weight,
            R.c.status,
            R.c.decided_by,
            R.c.decided_at,
            R.c.evidence["reason"].as_string().label("reason"),
            P.c.started_at.label("opened_at"),
            left.c.first_name.label("left_first_name"),
            left.c.last_name.label("left_last_name"),
            right.c.first_name.label("right_first_name"),
            right.c.last_name.label("right_last_name"),
        )
        .select_from(
            R.outerjoin(P, P.c.run_id == R.c.created_run_id)
            .outerjoin(left, sa.and_(left.c.source_system == R.c.left_system, left.c.source_person_id == R.c.left_id))
            .outerjoin(
                right, sa.and_(right.c.source_system == R.c.right_system, right.c.source_person_id == R.c.right_id)
            )
        )
        .order_by(*priority_order(R))
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(_filtered(q, flt)).mappings()]
    for r in rows:
        r["left"], r["right"] = _keys(r)
        for side in ("left", "right"):
            names = (r.pop(f"{side}_first_name"), r.pop(f"{side}_last_name"))
            r[f"{side}_name"] = " ".join(n for n in names if n) or None
    return rows


def queue_ids(engine: Engine, flt: QueueFilter = QueueFilter()) -> list[int]:
    """The ids of the filtered queue, in priority order (to step from one item to the next)."""
    R = store.REVIEW
    with engine.connect() as conn:
        return list(conn.execute(_filtered(sa.select(R.c.review_id), flt).order_by(*priority_order(R))).scalars())


def status_counts(engine: Engine, flt: QueueFilter = QueueFilter()) -> dict[str, int]:
    """How many items of each status the filter (its status aside) selects."""
    R = store.REVIEW
    q = _filtered(sa.select(R.c.status, sa.func.count()).group_by(R.c.status), flt.without_status())
    with engine.connect() as conn:
        found = dict(conn.execute(q).all())
    return {status: int(found.get(status, 0)) for status in STATUSES} | {"all": int(sum(found.values()))}


def system_pairs(engine: Engine) -> list[tuple[str, str]]:
    """The (unordered) system pairs the queue holds items of, for a filter."""
    R = store.REVIEW
    with engine.connect() as conn:
        found = conn.execute(sa.select(R.c.left_system, R.c.right_system).distinct()).all()
    return sorted({tuple(sorted(p)) for p in found})


def list_items(engine: Engine, status: str | None = OPEN, limit: int = 50) -> list[dict]:
    """The queue with a status filter only (the CLI's `fase review list`)."""
    return queue(engine, QueueFilter(status=status), limit)


def related_items(conn: Connection, review_id: int, keys: tuple[str, ...]) -> list[dict]:
    """The other review items sharing a record with `keys`: the competing candidates of an ambiguous item (a
    triangle of items shows as the two others), most probable first, with their evidence."""
    R = store.REVIEW
    sides = [store.split_key(k) for k in keys]
    touches = sa.or_(
        *[sa.and_(R.c.left_system == s, R.c.left_id == i) for s, i in sides],
        *[sa.and_(R.c.right_system == s, R.c.right_id == i) for s, i in sides],
    )
    rows = conn.execute(
        sa.select(
            R.c.review_id,
            R.c.left_system,
            R.c.left_id,
            R.c.right_system,
            R.c.right_id,
            R.c.probability,
            R.c.match_weight,
            R.c.status,
            R.c.evidence["reason"].as_string().label("reason"),
            R.c.evidence,
        )
        .where(touches, R.c.review_id != review_id)
        .order_by(R.c.probability.desc(), R.c.review_id)
    ).mappings()
    out = []
    for row in rows:
        item = dict(row)
        item["left"], item["right"] = _keys(item)
        out.append(item)
    return out


def show_item(engine: Engine, review_id: int) -> dict:
    """The item, its evidence, both records side by side, their beneficiaries and constraints; and the items that
    compete with it (sharing one of its records) with the records they bring (`competitors`, by key)."""
    with engine.connect() as conn:
        item = _item(conn, review_id)
        a, b = _keys(item)
        related = related_items(conn, review_id, (a, b))
        others = sorted({k for r in related for k in (r["left"], r["right"])} - {a, b})
        keys = [a, b, *others]
        cols = [c.name for c in store.STG.columns if c.name not in ("run_id",)]
        recs = store.read_persons(conn, None, columns=cols, keys=keys)
        X = store.XW
        bens = dict(
            conn.execute(
                sa.select(X.c.source_system + ":" + X.c.source_person_id, X.c.beneficiary_id).where(
                    sa.tuple_(X.c.source_system, X.c.source_person_id).in_([store.split_key(k) for k in keys])
                )
            ).all()
        )
        C = store.CONSTRAINT
        cons = [dict(r) for r in conn.execute(sa.select(C).where(C.c.review_id == review_id)).mappings()]
    item["left"], item["right"] = a, b

    def record(key: str) -> dict:
        return {col: _clean(recs.at[key, col]) if key in recs.index else None for col in cols}

    item["records"] = {col: (va, vb) for col, va, vb in zip(cols, record(a).values(), record(b).values())}
    item["missing_records"] = [k for k in keys if k not in recs.index]
    item["beneficiaries"] = (bens.get(a), bens.get(b))
    item["constraints"] = cons
    item["related"] = related
    item["competitors"] = [{"key": k, "record": record(k), "beneficiary": bens.get(k)} for k in others]
    return item


def _clean(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return v


def decide(engine: Engine, review_id: int, match: bool, by: str, note: str | None = None, wait: float = 0.0) -> dict:
    """Record a decision on an open item: a must-link (match) or cannot-link (no match) constraint."""
    if not by or not by.strip():
        raise ReviewError("a decision needs the name of who takes it (--by)")
    now = utcnow()
    with _decision(engine, by, wait) as conn:
        item = _item(conn, review_id)
        if item["status"] != OPEN:
            raise ReviewError(
                f"review {review_id} is already decided ({item['status']} by {item['decided_by']}); undo it first"
            )
        a, b = _keys(item)
        kind = "must_link" if match else "cannot_link"
        cid = _add_constraint(conn, a, b, kind, by, now, review_id)
        R = store.REVIEW
        conn.execute(
            R.update()
            .where(R.c.review_id == review_id)
            .values(status=MATCH if match else NO_MATCH, decided_by=by, decided_at=now, note=note)
        )
    return {"review_id": review_id, "constraint_id": cid, "kind": kind, "left": a, "right": b, "by": by}


def decide_pair(
    engine: Engine, key_a: str, key_b: str, match: bool, by: str, note: str | None = None, wait: float = 0.0
) -> dict:
    """A decision on any two records (not only a queued pair): files a decided review item with the
    pair's explanation as evidence, and its constraint. Undo it with `undo_decision` like any other."""
    from matching.explain import Explainer, ExplainError

    if not by or not by.strip():
        raise ReviewError("a decision needs the name of who takes it (--by)")
    a, b = store.ordered_pair(key_a, key_b)
    try:
        e = Explainer(engine).explain(a, b)
        ev = evidence_from(e, "decided directly")
        w, p = e["match_weight"], e["match_probability"]
    except ExplainError as exc:
        raise ReviewError(str(exc)) from None
    R = store.REVIEW
    with _decision(engine, by, wait) as conn:
        open_item = conn.execute(
            sa.select(R.c.review_id).where(
                *[R.c[k] == v for k, v in store.pair_columns(a, b).items()], R.c.status == OPEN
            )
        ).scalar()
        if open_item is not None:
            review_id = open_item
        else:
            review_id = conn.execute(
                R.insert()
                .values(
                    **store.pair_columns(a, b),
                    match_weight=float(w),
                    probability=float(p),
                    evidence=ev,
                    status=OPEN,
                    created_run_id=e["model_run_id"],
                )
                .returning(R.c.review_id)
            ).scalar_one()
    return decide(engine, review_id, match, by, note, wait)


def add_note(engine: Engine, review_id: int, by: str, text: str) -> None:
    """Append a dated note to an item without deciding it (a reviewer skipping it says why: "ask the registry
    office"). Notes bind nothing: no lock needed."""
    if not by or not by.strip() or not text.strip():
        raise ReviewError("a note needs its text and who writes it")
    R = store.REVIEW
    with engine.begin() as conn:
        item = _item(conn, review_id)
        line = f"{utcnow().isoformat(timespec='seconds')} {by}: {text.strip()}"
        conn.execute(
            R.update()
            .where(R.c.review_id == review_id)
            .values(note=(item["note"] + "\n" if item["note"] else "") + line)
        )


def undo_decision(engine: Engine, review_id: int, by: str, wait: float = 0.0) -> dict:
    """Revoke the constraint of a decided item and reopen it: the next run forgets the decision."""
    now = utcnow()
    with _decision(engine, by, wait) as conn:
        item = _item(conn, review_id)
        if item["status"] == OPEN:
            raise ReviewError(f"review {review_id} is open: nothing to undo")
        C = store.CONSTRAINT
        revoked = conn.execute(
            C.update().where(C.c.review_id == review_id, C.c.revoked_at.is_(None)).values(revoked_by=by, revoked_at=now)
        ).rowcount
        note = (
            item["note"] + "\n" if item["note"] else ""
        ) + f"decision {item['status']} by {item['decided_by']} undone by {by} at {now.isoformat(timespec='seconds')}"
        R = store.REVIEW
        conn.execute(
            R.update()
            .where(R.c.review_id == review_id)
            .values(status=OPEN, decided_by=None, decided_at=None, note=note)
        )
    return {"review_id": review_id, "revoked_constraints": int(revoked or 0)}


def _add_constraint(conn, a: str, b: str, kind: str, by: str, now, review_id: int | None = None) -> int:
    C = store.CONSTRAINT
    return conn.execute(
        C.insert()
        .values(**store.pair_columns(a, b), kind=kind, review_id=review_id, created_by=by, created_at=now)
        .returning(C.c.constraint_id)
    ).scalar_one()


def _revoke_between(conn, group_a: set, group_b: set, kind: str, by: str, now) -> int:
    cons = store.active_constraints(conn)
    hit = cons[
        (cons["kind"] == kind)
        & (
            (cons["left_key"].isin(group_a) & cons["right_key"].isin(group_b))
            | (cons["left_key"].isin(group_b) & cons["right_key"].isin(group_a))
        )
    ]
    C = store.CONSTRAINT
    for cid in hit["constraint_id"].tolist():
        conn.execute(C.update().where(C.c.constraint_id == cid).values(revoked_by=by, revoked_at=now))
    return len(hit)


def _merge_event(conn, beneficiary_id: str) -> tuple[str, dict]:
    """(absorbed id, merge record from linkage_run.metrics) of the latest merge involving `beneficiary_id`."""
    CH, L = store.CHANGE, store.LRUN
    row = conn.execute(
        sa.select(CH.c.beneficiary_id, CH.c.merged_into, CH.c.run_id)
        .where(CH.c.kind == "merged", sa.or_(CH.c.beneficiary_id == beneficiary_id, CH.c.merged_into == beneficiary_id))
        .order_by(CH.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ReviewError(f"{beneficiary_id} was never merged")
    metrics = conn.execute(sa.select(L.c.metrics).where(L.c.run_id == row.run_id)).scalar() or {}
    event = (metrics.get("merges") or {}).get(row.beneficiary_id)
    if not isinstance(event, dict):
        raise ReviewError(f"run {row.run_id} kept no record of what {row.beneficiary_id} held before the merge")
    return row.beneficiary_id, event


def undo_merge(engine: Engine, beneficiary_id: str, by: str, wait: float = 0.0) -> dict:
    """Separate the records a merge joined: revoke the must-links between the absorbed id's records (as they
    were before the merge) and the rest, add cannot-links between them. The next run revives the absorbed id
    (identity.py: an unclaimed cluster founded by its founding record gets it back)."""
    now = utcnow()
    X = store.XW
    with _decision(engine, by, wait) as conn:
        absorbed, event = _merge_event(conn, beneficiary_id)
        survivor = event["into"]
        current = {
            store.record_key(s, i)
            for s, i in conn.execute(
                sa.select(X.c.source_system, X.c.source_person_id).where(X.c.beneficiary_id == survivor)
            ).all()
        }
        group_a = set(event["records"]) & current
        group_b = current - group_a
        if not group_a or not group_b:
            raise ReviewError(f"the records of {absorbed} and {survivor} are no longer together: nothing to undo")
        revoked = _revoke_between(conn, group_a, group_b, "must_link", by, now)
        added = 0
        for a in sorted(group_a):
            for b in sorted(group_b):
                _add_constraint(conn, a, b, "cannot_link", by, now)
                added += 1
    return {
        "absorbed": absorbed,
        "survivor": survivor,
        "records_absorbed": sorted(group_a),
        "records_survivor": sorted(group_b),
        "revoked_must_links": revoked,
        "cannot_links_added": added,
    }


def undo_split(engine: Engine, beneficiary_id: str, by: str, wait: float = 0.0) -> dict:
    """Join again the parts of the latest split of `beneficiary_id` (or of the split it came from)."""
    now = utcnow()
    CH, X = store.CHANGE, store.XW
    with _decision(engine, by, wait) as conn:
        rows = conn.execute(
            sa.select(CH.c.beneficiary_id, CH.c.related_ids).where(CH.c.kind == "split").order_by(CH.c.seq.desc())
        ).all()
        event = next(((b, ids) for b, ids in rows if b == beneficiary_id or beneficiary_id in (ids or [])), None)
        if event is None:
            raise ReviewError(f"{beneficiary_id} was never split")
        origin, parts = event
        groups = {}
        for b in parts:
            groups[b] = {
                store.record_key(s, i)
                for s, i in conn.execute(
                    sa.select(X.c.source_system, X.c.source_person_id).where(X.c.beneficiary_id == b)
                ).all()
            }
        groups = {b: g for b, g in groups.items() if g}
        if len(groups) < 2:
            raise ReviewError(f"the parts of {origin}'s split are no longer separate")
        ids = sorted(groups, key=lambda b: (b != origin, b))
        revoked, added = 0, 0
        anchor = min(groups[ids[0]])
        for other in ids[1:]:
            revoked += _revoke_between(conn, groups[ids[0]], groups[other], "cannot_link", by, now)
            _add_constraint(conn, anchor, min(groups[other]), "must_link", by, now)
            added += 1
    return {"origin": origin, "parts": ids, "revoked_cannot_links": revoked, "must_links_added": added}
