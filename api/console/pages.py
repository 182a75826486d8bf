"""Rendering console pages: the Jinja2 environment (autoescaped), its filters, and the page context every
template gets (the signed-in user, the navigation, the CSRF token). Templates only lay out what the page
modules computed; figures arrive as Plotly JSON and are drawn by the vendored plotly.min.js."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.audit import audited
from api.console.session import ConsoleUser

TEMPLATES = Path(__file__).parent / "templates"
ROME = ZoneInfo("Europe/Rome")
NAV = (  # (label, path, roles)
    ("Review", "/console/review", ("steward", "analyst")),
    ("Search", "/console/search", ("steward", "case_worker")),
    ("Linkage health", "/console/linkage", ("steward", "case_worker", "analyst")),
    ("Pipeline health", "/console/pipeline", ("steward", "case_worker", "analyst")),
    ("Monitoring", "/console/monitoring", ("steward", "case_worker", "analyst")),
)


def _when(value: datetime | None) -> str:
    """A UTC time as the agency reads it: Europe/Rome, to the minute."""
    return "—" if value is None else value.astimezone(ROME).strftime("%Y-%m-%d %H:%M")


def _day(value: date | datetime | None) -> str:
    return "—" if value is None else value.strftime("%d/%m/%Y")


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", "\u202f")


def _money(value: Decimal | float | None) -> str:
    return "—" if value is None else "€\u00a0" + _number(value, 2)


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def _dash(value) -> str:
    return "—" if value is None or value == "" else str(value)


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATES))
    t.env.filters.update(when=_when, day=_day, number=_number, money=_money, pct=_pct, dash=_dash)
    return t


HEADERS = {
    "Cache-Control": "no-store",  # pages name people: not kept by browsers or proxies
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Every console page: nothing but this server may load into it, it may not be framed (a decision is a keystroke
away), and it is not cached. Plotly styles its figures inline, hence 'unsafe-inline' for styles only."""


def render(request: Request, name: str, user: ConsoleUser | None, status_code: int = 200, **context) -> HTMLResponse:
    """The page `name` with the common context and headers: user, navigation for their role, current path."""
    nav = [(label, path) for label, path, roles in NAV if user and user.role in roles]
    page = {"user": user, "nav": nav, "path": request.url.path, **context}
    response = request.app.state.console.templates.TemplateResponse(request, name, page, status_code=status_code)
    audit_sets_it = audited(request.url.path)  # the audit middleware marks its pages no-store itself
    response.headers.update({k: v for k, v in HEADERS.items() if not (audit_sets_it and k == "Cache-Control")})
    return response
