"""The monitoring marts as charts and CSV: the three target groups over time (each publish keeps the groups'
counts in its run summary), housing flows by month and exit reason, the share of hosted households reaching
autonomy, benefits paid by type. Aggregates only: every role may see them."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.console import charts
from warehouse.models import PROFILE_TABLES, PipelineRun

R = PipelineRun.__table__
P = PROFILE_TABLES


def target_groups_over_time(conn) -> list[dict]:
    """Per profile date: people and households of each group, from the publish runs' summaries (the last run of
    a date wins); the current mart when no publish kept them yet."""
    labels = dict(conn.execute(sa.select(P["mart_target_group"].c.target_group, P["mart_target_group"].c.label)).all())
    runs = conn.execute(
        sa.select(R.c.summary).where(R.c.step == "publish", R.c.status == "success").order_by(R.c.run_id)
    ).scalars()
    by_date: dict[str, dict] = {}
    for summary in runs:
        if summary and summary.get("target_groups") and summary.get("as_of"):
            by_date[summary["as_of"]] = summary["target_groups"]
    if not by_date:
        as_of = conn.execute(sa.select(P["publish_state"].c.as_of)).scalar()
        t = P["mart_target_group"]
        current = {
            str(g): {"people": p, "households": h}
            for g, p, h in conn.execute(sa.select(t.c.target_group, t.c.people, t.c.households))
        }
        if as_of and current:
            by_date[as_of.isoformat()] = current
    return [
        {"as_of": day, "target_group": int(g), "label": labels.get(int(g), f"group {g}"), **counts}
        for day, groups in sorted(by_date.items())
        for g, counts in sorted(groups.items())
    ]


def _rows(conn, table: str, order: tuple[str, ...]) -> list[dict]:
    t = P[table]
    return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*(t.c[c] for c in order)))]


DATASETS = {  # name -> (title, reader)
    "target_groups": ("Target groups over time", target_groups_over_time),
    "housing_flow": (
        "Housing flows by month and exit reason",
        lambda c: _rows(c, "mart_housing_flow", ("month", "flow", "exit_reason")),
    ),
    "autonomy": ("Households reaching housing autonomy", lambda c: _rows(c, "mart_household_autonomy", ("cohort",))),
    "benefits": ("Benefits paid by type", lambda c: _rows(c, "mart_benefit_type", ("period", "benefit_type"))),
}


def dataset(engine: Engine, name: str) -> list[dict]:
    with engine.connect() as conn:
        return DATASETS[name][1](conn)


def as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def _target_chart(rows: list[dict]):
    series: dict[str, dict] = defaultdict(dict)
    for r in rows:
        series[f"{r['target_group']}. {r['label']}"][r["as_of"]] = r["people"]
    days = sorted({r["as_of"] for r in rows})
    return charts.lines(days, {k: [v.get(d) for d in days] for k, v in series.items()}, "profile date", "people")


def _flow_chart(rows: list[dict]):
    months = sorted({r["month"] for r in rows})
    series: dict[str, dict] = defaultdict(dict)
    for r in rows:
        name = "entries" if r["flow"] == "entry" else f"exit: {r['exit_reason'].replace('_', ' ')}"
        series[name][r["month"]] = r["stays"] if r["flow"] == "entry" else -r["stays"]
    ordered = dict(sorted(series.items(), key=lambda kv: kv[0] != "entries"))
    return charts.stacked(
        months, {k: [v.get(m, 0) for m in months] for k, v in ordered.items()}, "month", "stays (exits below zero)"
    )


def _autonomy_chart(rows: list[dict]):
    rows = sorted(rows, key=lambda r: (r["cohort"] == "all", r["cohort"]))
    fig = charts.bars(
        [r["cohort"] for r in rows],
        [float(r["share_autonomy"] or 0) for r in rows],
        "cohort (year of first entry)",
        "share of hosted households",
        colour=charts.TEAL,
        text=[f"{r['households_autonomy']} of {r['households_hosted']}" for r in rows],
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=".0%")
    return fig


def _benefit_chart(rows: list[dict]):
    recent = sorted((r for r in rows if r["period"] == "last_12_months"), key=lambda r: -r["total_paid"])
    fig = charts.hbars(
        [r["benefit_type"].replace("_", " ") for r in recent],
        [float(r["total_paid"]) for r in recent],
        "paid in the last 12 months (€)",
        colour=charts.PURPLE,
        text=[f"€{float(r['total_paid']):,.0f} · {r['beneficiaries']} people" for r in recent],
    )
    fig.update_xaxes(tickprefix="€", separatethousands=True)
    return fig


CHARTS = {
    "target_groups": _target_chart,
    "housing_flow": _flow_chart,
    "autonomy": _autonomy_chart,
    "benefits": _benefit_chart,
}


def monitoring_page(engine: Engine) -> list[dict]:
    """Each dataset with its title, chart and latest rows (the page's tables)."""
    with engine.connect() as conn:
        data = {name: reader(conn) for name, (_, reader) in DATASETS.items()}
    return [
        {
            "name": name,
            "title": DATASETS[name][0],
            "rows": rows,
            "chart": charts.as_json(CHARTS[name](rows)) if rows else None,
        }
        for name, rows in data.items()
    ]
