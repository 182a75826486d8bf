"""The console's figures, built server-side with Plotly (plotly.graph_objects) and sent as JSON: the page draws
them with the vendored plotly.min.js, so nothing is fetched from a CDN. One look for every chart (`_layout`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import plotly.graph_objects as go
from markupsafe import Markup

FONT = "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif"
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
BLUE, GREEN, RED, AMBER, TEAL, PURPLE, GREY = (
    "#2563eb",
    "#15803d",
    "#b91c1c",
    "#b45309",
    "#0f766e",
    "#7c3aed",
    "#9aa5b1",
)
SERIES = (BLUE, AMBER, TEAL, PURPLE, RED, "#db2777", GREY, "#0891b2", "#65a30d", GREEN)


DECISION_COLOURS = {"non_link": GREY, "review": AMBER, "auto_link": GREEN, "must_link": TEAL, "cannot_link": RED}


def _layout(fig: go.Figure, height: int = 320, **extra) -> go.Figure:
    base = {
        "height": height,
        "margin": {"l": 56, "r": 24, "t": 40, "b": 48},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
    }
    fig.update_layout(**(base | extra))
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor="#cbd2d9", linecolor=GRID)
    for axis in ("xaxis", "yaxis"):
        if getattr(fig.layout, axis).type == "log":
            fig.update_layout({axis: {"dtick": 1}})  # powers of ten only
    return fig


def as_json(fig: go.Figure) -> Markup:
    """The figure as JSON safe inside a <script type="application/json"> element."""
    return Markup(fig.to_json().replace("</", "<\\/"))


def probability_weight(p: float) -> float:
    """A probability as a match weight (log2 of the odds)."""
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def threshold_weights(thresholds: dict) -> dict[str, float]:
    """The review and auto-link thresholds on the match-weight scale, whatever scale the settings use."""
    conv = probability_weight if thresholds["scale"] == "probability" else float
    return {"review": conv(thresholds["review"]), "auto_link": conv(thresholds["auto_link"])}


def _threshold_marks(thresholds: dict, axis: str = "x") -> dict:
    """The review and auto-link thresholds as dashed lines with labels (layout shapes and annotations: cheaper to
    build than Plotly's add_vline/add_hline, which the review item page would pay on every view)."""
    shapes, notes = [], []
    for name, weight in threshold_weights(thresholds).items():
        review = name == "review"
        colour = AMBER if review else GREEN
        line = {"color": colour, "dash": "dash", "width": 1.5}
        label = f"{'review' if review else 'auto link'} ≥ {weight:.1f}"
        if axis == "x":
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": weight,
                    "x1": weight,
                    "y0": 0,
                    "y1": 1,
                    "line": line,
                }
            )
            notes.append(
                {
                    "xref": "x",
                    "yref": "paper",
                    "x": weight,
                    "y": 1,
                    "text": label,
                    "showarrow": False,
                    "font": {"size": 11, "color": colour},
                    "xanchor": "right" if review else "left",
                    "yanchor": "bottom",
                }
            )
        else:
            shapes.append(
                {
                    "type": "line",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": weight,
                    "y1": weight,
                    "line": line,
                }
            )
            notes.append(
                {
                    "xref": "paper",
                    "yref": "y",
                    "x": 0,
                    "y": weight,
                    "text": label,
                    "showarrow": False,
                    "font": {"size": 11, "color": colour},
                    "xanchor": "left",
                    "yanchor": "top" if review else "bottom",
                }
            )
    return {"shapes": shapes, "annotations": notes}


def waterfall(explanation: dict) -> go.Figure:
    """Prior, each comparison's weight (TF adjustment included), the total; thresholds as lines."""
    rows = [r for r in explanation["comparisons"] if not r["neutral"] or r["weight"]]
    x = ["prior", *(f"{r['comparison']}<br><sub>{r['label']}</sub>" for r in rows), "match weight"]
    y = [explanation["prior_weight"], *(r["weight"] for r in rows), explanation["match_weight"]]
    fig = go.Figure(
        go.Waterfall(
            x=x,
            y=y,
            measure=["absolute", *("relative" for _ in rows), "total"],
            text=[f"{v:+.2f}" for v in y],
            textposition="outside",
            increasing={"marker": {"color": GREEN}},
            decreasing={"marker": {"color": RED}},
            totals={"marker": {"color": BLUE}},
            connector={"line": {"color": GRID}},
            hovertemplate="%{x}: %{y:+.2f}<extra></extra>",
        )
    )
    return _layout(
        fig,
        height=360,
        showlegend=False,
        yaxis_title="match weight (bits)",
        **_threshold_marks(explanation["thresholds"], "y"),
    )


VIEW_YEARS = 5
"""The timeline opens on the last VIEW_YEARS years (a double click shows a whole life)."""


def _sublanes(bars: Sequence[tuple], today: date) -> list[tuple]:
    """Bars of one lane that overlap go to rows of their own ("Stays", "Stays ·2", ...), so none hides another."""
    rows: dict[str, date] = {}  # row name -> end of its last bar
    out = []
    for bar in sorted(bars, key=lambda b: (b[0], b[2])):
        n = 1
        while True:
            row = bar[0] if n == 1 else f"{bar[0]} ·{n}"
            if rows.get(row) is None or rows[row] <= bar[2]:
                rows[row] = bar[3] or today
                out.append((row, *bar[1:]))
                break
            n += 1
    return out


def timeline(bars: Sequence[tuple[str, str, date, date | None, str]], events: Sequence[tuple], today: date):
    """A life in the systems: bars (lane, label, start, end or ongoing, colour key) and point events
    (lane, label, day, colour key). It opens on the last VIEW_YEARS years; a bar starting earlier is drawn from
    the view's start (its hover gives the real dates), so that its label shows."""
    starts = [b[2] for b in bars] + [e[2] for e in events]
    first = max(min(starts, default=today), today.replace(year=today.year - VIEW_YEARS)) - timedelta(days=60)
    bars = _sublanes(bars, today)
    keys = sorted({bar[4] for bar in bars} | {e[3] for e in events})
    colour = {k: SERIES[n % len(SERIES)] for n, k in enumerate(keys)}
    fig = go.Figure()
    for key in keys:
        mine = [b for b in bars if b[4] == key]
        if mine:
            shown = [max(b[2], first) for b in mine]
            ends = [b[3] or today for b in mine]
            fig.add_trace(
                go.Bar(
                    orientation="h",
                    y=[b[0] for b in mine],
                    base=[d.isoformat() for d in shown],
                    x=[max((e - d).days, 1) * 86_400_000 for d, e in zip(shown, ends)],
                    name=key,
                    marker={"color": colour[key], "line": {"width": 0}},
                    text=[b[1] for b in mine],
                    textposition="inside",
                    insidetextanchor="start",
                    customdata=[[b[1], b[2].isoformat(), (b[3].isoformat() if b[3] else "ongoing")] for b in mine],
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<extra></extra>",
                )
            )
        points = [e for e in events if e[3] == key]
        if points:
            fig.add_trace(
                go.Scatter(
                    mode="markers",
                    y=[e[0] for e in points],
                    x=[e[2].isoformat() for e in points],
                    name=key,
                    marker={"color": colour[key], "size": 11, "symbol": "diamond", "line": {"color": "white"}},
                    customdata=[[e[1]] for e in points],
                    hovertemplate="%{customdata[0]}<br>%{x}<extra></extra>",
                )
            )
    fig.add_vline(x=today.isoformat(), line={"color": MUTED, "dash": "dot", "width": 1})
    order = {"Stays": 0, "Residences": 1, "Placements": 2, "Volunteering": 3, "Payments": 4}
    lane_names = sorted(
        dict.fromkeys([b[0] for b in bars] + [e[0] for e in events]),
        key=lambda name: (order.get(name.split(" ·")[0], 9), name),
    )
    return _layout(
        fig,
        height=130 + 40 * max(len(lane_names), 1),
        barmode="overlay",
        xaxis={"type": "date", "range": [first.isoformat(), (today + timedelta(days=60)).isoformat()]},
        yaxis={"categoryorder": "array", "categoryarray": lane_names[::-1]},
    )


def weight_histogram(bins: Sequence[tuple[float, int, str]], thresholds: dict) -> go.Figure:
    """Pairs of the last run by match weight (bin start, pairs, final decision), thresholds marked."""
    decisions = sorted({b[2] for b in bins}, key=("non_link", "review", "cannot_link", "auto_link", "must_link").index)
    colours = DECISION_COLOURS
    fig = go.Figure(
        [
            go.Bar(
                x=[b[0] + 0.5 for b in bins if b[2] == d],
                y=[b[1] for b in bins if b[2] == d],
                width=1,
                name=d.replace("_", " "),
                marker={"color": colours[d]},
            )
            for d in decisions
        ]
    )
    return _layout(
        fig,
        barmode="stack",
        xaxis_title="match weight (bits)",
        yaxis_title="pairs",
        yaxis_type="log",
        **_threshold_marks(thresholds),
    )


def m_u_chart(comparisons: Sequence[dict]) -> go.Figure:
    """m and u of every (comparison, level) of the model, side by side (log scale): Splink's m/u chart."""
    y, m, u = [], [], []
    for c in comparisons:
        for label, mv, uv, neutral in zip(c["labels"], c["m"], c["u"], [i in c["neutral"] for i in range(99)]):
            if neutral or mv is None or uv is None:
                continue
            y.append(f"{c['name']}: {label}")
            m.append(mv)
            u.append(uv)
    fig = go.Figure(
        [
            go.Bar(orientation="h", y=y, x=m, name="m: P(level | same person)", marker={"color": BLUE}),
            go.Bar(orientation="h", y=y, x=u, name="u: P(level | different people)", marker={"color": AMBER}),
        ]
    )
    return _layout(
        fig,
        height=140 + 22 * len(y),
        barmode="group",
        xaxis={"type": "log", "title": "probability (log scale)"},
        yaxis={"autorange": "reversed"},
        margin={"l": 190, "r": 24, "t": 20, "b": 60},
    )


def bars(
    x: Sequence, y: Sequence, x_title: str, y_title: str, colour: str = BLUE, log_y: bool = False, text=None
) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=list(x),
            y=list(y),
            marker={"color": colour},
            text=text,
            textposition="outside" if text else None,
            cliponaxis=False,
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    return _layout(fig, xaxis_title=x_title, yaxis_title=y_title, yaxis_type="log" if log_y else "linear")


def hbars(labels: Sequence, values: Sequence, title: str, colour: str = BLUE, text=None) -> go.Figure:
    """Horizontal bars, largest on top: for long category names."""
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=list(labels),
            x=list(values),
            marker={"color": colour},
            text=text,
            textposition="outside" if text else None,
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    return _layout(
        fig, xaxis_title=title, yaxis={"autorange": "reversed"}, margin={"l": 160, "r": 150, "t": 20, "b": 48}
    )


def stacked(
    categories: Sequence,
    series: dict[str, Sequence],
    x_title: str,
    y_title: str,
    horizontal: bool = False,
    colours: dict[str, str] | None = None,
):
    """Stacked bars: one trace per series over the categories (horizontal: categories on the y axis)."""
    traces = []
    for n, (name, values) in enumerate(series.items()):
        kw = {"y": list(categories), "x": list(values)} if horizontal else {"x": list(categories), "y": list(values)}
        colour = (colours or {}).get(name, SERIES[n % len(SERIES)])
        traces.append(go.Bar(name=name, orientation="h" if horizontal else "v", marker={"color": colour}, **kw))
    fig = go.Figure(traces)
    if horizontal:
        return _layout(
            fig,
            barmode="relative",
            xaxis_title=x_title,
            yaxis={"autorange": "reversed", "title": y_title},
            margin={"l": 170, "r": 24, "t": 40, "b": 48},
        )
    return _layout(fig, barmode="relative", xaxis_title=x_title, yaxis_title=y_title)


def lines(x: Sequence, series: dict[str, Sequence], x_title: str, y_title: str) -> go.Figure:
    """One line per series over categories (dates or runs), from zero."""
    fig = go.Figure(
        [
            go.Scatter(
                x=list(x),
                y=list(values),
                name=name,
                mode="lines+markers",
                line={"color": SERIES[n % len(SERIES)], "width": 2},
            )
            for n, (name, values) in enumerate(series.items())
        ]
    )
    return _layout(
        fig,
        xaxis={"type": "category", "title": x_title},
        yaxis={"title": y_title, "rangemode": "tozero"},
    )


def runs_chart(durations: dict[str, list[tuple[datetime, float | None, str]]]) -> go.Figure:
    """Seconds each run took, per step, over time (the system in the hover)."""
    fig = go.Figure(
        [
            go.Scatter(
                x=[at for at, _, _ in points],
                y=[sec for _, sec, _ in points],
                name=name,
                mode="markers",
                marker={"size": 8, "color": SERIES[n % len(SERIES)]},
                customdata=[[what] for _, _, what in points],
                hovertemplate="%{customdata[0]}: %{y:.1f} s<extra></extra>",
            )
            for n, (name, points) in enumerate(durations.items())
        ]
    )
    return _layout(fig, xaxis_title="run started (UTC)", yaxis_title="seconds", yaxis_type="log")
