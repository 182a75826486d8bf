"""Linkage and pipeline health: aggregates read from the identity layer (the last linkage run's pairs, model and
crosswalk; the review queue over time), from pipeline_run (each run's `summary`, as `fase runs` reads it) and from
the quarantine. No personal data: every role may see these pages (the quarantine's reasons, which quote values,
are for stewards)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.console import charts
from configuration import SYSTEMS
from warehouse.models import IDENTITY_TABLES, PipelineRun, Quarantine

R = PipelineRun.__table__
PAIR, XW, REVIEW = (IDENTITY_TABLES[t] for t in ("match_pair", "beneficiary_crosswalk", "review_item"))
Q = Quarantine.__table__
DECIDED = ("auto_link", "must_link")
SYNC_FIGURES = ("received", "new", "changed", "deleted", "quarantined")
STAGE_FIGURES = ("staged", "quarantined", "kept_last_valid")
STEPS = ("sync", "stage", "link", "publish", "quality")


def _weight_bins(conn, run_id: int) -> list[tuple[float, int, str]]:
    """(bin start, pairs, decision) over whole-bit bins of match weight (floor, portable to SQLite)."""
    P = PAIR
    floor = sa.cast(P.c.match_weight + 1000, sa.Integer) - 1000
    rows = conn.execute(
        sa.select(floor.label("bin"), P.c.decision, sa.func.count())
        .where(P.c.run_id == run_id)
        .group_by(floor, P.c.decision)
        .order_by(floor)
    ).all()
    return [(float(b), int(n), d) for b, d, n in rows]


def _cluster_sizes(conn) -> list[tuple[int, int]]:
    X = XW
    sizes = sa.select(sa.func.count().label("size")).select_from(X).group_by(X.c.beneficiary_id).subquery()
    rows = conn.execute(sa.select(sizes.c.size, sa.func.count()).group_by(sizes.c.size).order_by(sizes.c.size)).all()
    return [(int(s), int(n)) for s, n in rows]


def _links_by_pair(conn, run_id: int) -> dict[str, Counter]:
    """Linked pairs of the run by (unordered) system pair and decision."""
    P = PAIR
    rows = conn.execute(
        sa.select(P.c.left_system, P.c.right_system, P.c.decision, sa.func.count())
        .where(P.c.run_id == run_id, P.c.decision.in_((*DECIDED, "review")))
        .group_by(P.c.left_system, P.c.right_system, P.c.decision)
    ).all()
    out: dict[str, Counter] = defaultdict(Counter)
    for a, b, decision, n in rows:
        out["–".join(sorted((a, b)))][decision] += int(n)
    return dict(sorted(out.items(), key=lambda kv: -sum(kv[1].values())))


def _backlog(conn) -> list[tuple[int, datetime, int]]:
    """Open review items after each successful linkage run: opened by then and not decided by then (a decision
    undone later counts as open from its undo, which the item does not date: the point after the undo is right)."""
    runs = conn.execute(
        sa.select(R.c.run_id, R.c.finished_at).where(R.c.step == "link", R.c.status == "success").order_by(R.c.run_id)
    ).all()
    RV = REVIEW
    items = conn.execute(sa.select(RV.c.created_run_id, RV.c.status, RV.c.decided_at)).all()
    out = []
    for run_id, at in runs:
        open_then = sum(
            1
            for c, status, decided in items
            if c <= run_id and (status == "open" or (decided is not None and decided > at))
        )
        out.append((run_id, at, open_then))
    return out


def linkage_page(engine: Engine, evaluation) -> dict:
    """The last linkage run's health; `evaluation` the cached sandbox evaluation (None without a truth folder)."""
    from matching import store
    from matching.settings import LinkageSettings

    with engine.connect() as conn:
        run = store.last_linkage(conn)
        if run is None:
            return {"run": None}
        th = LinkageSettings.model_validate(run.settings).thresholds
        thresholds = {"scale": th.scale, "auto_link": th.auto_link, "review": th.review}
        bins = _weight_bins(conn, run.run_id)
        sizes = _cluster_sizes(conn)
        pairs = _links_by_pair(conn, run.run_id)
        backlog = _backlog(conn)
        started = conn.execute(sa.select(R.c.started_at).where(R.c.run_id == run.run_id)).scalar()
    comparisons = [
        {"name": c.name, "labels": c.labels, "m": c.m, "u": c.u, "neutral": c.neutral, "weights": c.weights}
        for c in run.model.comparisons
    ]
    decisions = ("auto_link", "must_link", "review")
    return {
        "run": run,
        "started": started,
        "thresholds": thresholds,
        "threshold_weights": charts.threshold_weights(thresholds),
        "comparisons": comparisons,
        "histogram": charts.as_json(charts.weight_histogram(bins, thresholds)),
        "m_u": charts.as_json(charts.m_u_chart(comparisons)),
        "sizes": sizes,
        "sizes_chart": charts.as_json(
            charts.bars(
                [str(s) for s, _ in sizes],
                [n for _, n in sizes],
                "records per beneficiary",
                "beneficiaries",
                log_y=True,
                text=[f"{n:,}" for _, n in sizes],
            )
        ),
        "pairs_chart": charts.as_json(
            charts.stacked(
                list(pairs),
                {d.replace("_", " "): [pairs[p][d] for p in pairs] for d in decisions},
                "pairs in the last run",
                "",
                horizontal=True,
                colours={d.replace("_", " "): charts.DECISION_COLOURS[d] for d in decisions},
            )
        ),
        "backlog_chart": charts.as_json(
            charts.lines(
                [f"run {run_id} · {at:%d/%m %H:%M}" for run_id, at, _ in backlog],
                {"open review items": [n for _, _, n in backlog]},
                "linkage run",
                "open items",
            )
        ),
        "backlog": backlog,
        "evaluation": evaluation.get() if evaluation is not None else None,
    }


def _duration(row) -> float | None:
    return (row.finished_at - row.started_at).total_seconds() if row.finished_at else None


def _streams(row, figures: tuple[str, ...]) -> dict[str, dict]:
    return {
        s["stream"]: {k: s.get(k) for k in (*figures, "seconds", "reconciliation")}
        for s in (row.summary or {}).get("streams", [])
    }


def pipeline_page(engine: Engine) -> dict:
    """Last run per step and system with each stream's counts; failures; durations; open quarantine by stream."""
    with engine.connect() as conn:
        last_ids = sa.select(sa.func.max(R.c.run_id)).group_by(R.c.step, R.c.system).scalar_subquery()
        last = conn.execute(sa.select(R).where(R.c.run_id.in_(last_ids)).order_by(R.c.step, R.c.system)).all()
        failed_counts: dict[str, int] = dict(
            conn.execute(
                sa.select(R.c.step + ":" + sa.func.coalesce(R.c.system, ""), sa.func.count())
                .where(R.c.status.in_(("failed", "abandoned")))
                .group_by(R.c.step, R.c.system)
            ).all()
        )
        failures = conn.execute(
            sa.select(R).where(R.c.status.in_(("failed", "abandoned"))).order_by(R.c.run_id.desc()).limit(20)
        ).all()
        recent = conn.execute(sa.select(R).order_by(R.c.run_id.desc()).limit(300)).all()
        quarantine = conn.execute(
            sa.select(Q.c.system, Q.c.stream, Q.c.kind, sa.func.count())
            .where(Q.c.released_run_id.is_(None))
            .group_by(Q.c.system, Q.c.stream, Q.c.kind)
            .order_by(Q.c.system, Q.c.stream, Q.c.kind)
        ).all()
    by = {(r.step, r.system): r for r in last}
    systems = []
    for system in SYSTEMS:
        sync, stage = by.get(("sync", system)), by.get(("stage", system))
        sync_streams = _streams(sync, SYNC_FIGURES) if sync else {}
        stage_streams = _streams(stage, STAGE_FIGURES) if stage else {}
        systems.append(
            {
                "system": system,
                "sync": sync,
                "stage": stage,
                "sync_seconds": _duration(sync) if sync else None,
                "stage_seconds": _duration(stage) if stage else None,
                "failures": failed_counts.get(f"sync:{system}", 0) + failed_counts.get(f"stage:{system}", 0),
                "streams": [
                    {"stream": name, "sync": sync_streams.get(name), "stage": stage_streams.get(name)}
                    for name in dict.fromkeys([*sync_streams, *stage_streams])
                ],
            }
        )
    steps = [
        {"run": r, "seconds": _duration(r), "failures": failed_counts.get(f"{r.step}:", 0)}
        for r in last
        if r.system is None
    ]
    durations: dict[str, list] = {step: [] for step in STEPS}
    for r in reversed(recent):
        if r.finished_at:
            durations.setdefault(r.step, []).append(
                (r.started_at, _duration(r), f"{r.step} {r.system or ''} run {r.run_id}")
            )
    durations = {k: v for k, v in durations.items() if v}
    chart = charts.runs_chart(durations) if durations else None
    return {
        "systems": systems,
        "steps": steps,
        "failures": failures,
        "quarantine": quarantine,
        "quarantine_total": sum(n for *_, n in quarantine),
        "durations": charts.as_json(chart) if chart else None,
    }


def quarantine_page(engine: Engine, system: str | None, stream: str | None, page: int, size: int = 50) -> dict:
    """Open quarantine entries, newest first, with their reasons (stewards: the reasons may quote values)."""
    q = sa.select(
        Q.c.quarantine_id,
        Q.c.kind,
        Q.c.system,
        Q.c.stream,
        Q.c.source_id,
        Q.c.rules,
        Q.c.run_id,
        Q.c.quarantined_at,
        Q.c.file_name,
        Q.c.line,
    ).where(Q.c.released_run_id.is_(None))
    if system:
        q = q.where(Q.c.system == system)
    if stream:
        q = q.where(Q.c.stream == stream)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(Q.c.quarantine_id.desc()).limit(size + 1).offset((page - 1) * size)).all()
        streams = conn.execute(
            sa.select(Q.c.system, Q.c.stream)
            .where(Q.c.released_run_id.is_(None))
            .distinct()
            .order_by(Q.c.system, Q.c.stream)
        ).all()
    return {"rows": rows[:size], "more": len(rows) > size, "streams": streams}
