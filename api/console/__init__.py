"""The steward's console: server-rendered pages for the people who work with the hub (data stewards, social
workers, analysts), served under /console by the read API's own process and warehouse.

Sign-in with an API key (session.py); a module per page family: auth, review, beneficiary, search, health,
monitoring (routes), each reading through its *_data module, which reuses matching.review, matching.explain, the
API's repository, search, redaction and audit. Templates in templates/, the console's CSS and JS in static/, Plotly
and the other front-end assets served from this process (nothing from a CDN). See api/README.md.
May import what api may import (matching, warehouse, schemas.standardise, configuration).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from api.console import auth, beneficiary, caches, health, monitoring, review, search
from api.console.pages import render, templates
from api.console.session import ConsoleError, NotSignedIn, Sessions, login_url
from configuration.assets import DIST

log = logging.getLogger("api.console")
STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@dataclass
class ConsoleState:
    """What the console's pages share within one process."""

    sessions: Sessions
    templates: Jinja2Templates
    explainers: caches.Cached
    evaluation: caches.Cached | None
    data_docs: Path | None


async def _console_error(request: Request, exc: Exception) -> Response:
    """The error page of a ConsoleError (registered for that class only)."""
    error = exc if isinstance(exc, ConsoleError) else ConsoleError(500, "Internal error.")
    request.state.audit_detail = error.message
    user = getattr(request.state, "console_user", None)
    title = error.title or "Something went wrong"
    return render(request, "error.html", user, error.status, title=title, message=error.message)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    """To the sign-in page, then back (registered for NotSignedIn only)."""
    return RedirectResponse(login_url(exc.next_path if isinstance(exc, NotSignedIn) else "/console/"), status_code=303)


def install(
    app: FastAPI,
    engine: Engine,
    *,
    secret: str | None,
    data_docs: Path | None = None,
    truth: Callable[[], Mapping[str, int]] | None = None,
) -> None:
    """Mount the console on `app`: its routes, static files, Plotly and the vendored assets, its error pages.
    Without `secret` a random one is used: sessions then last as long as this process (one worker only)."""
    if not secret:
        log.warning("no console secret (secrets.console_secret_env): sessions end with this process")
        secret = secrets.token_urlsafe(32)
    app.state.console = ConsoleState(
        Sessions(engine, secret),
        templates(),
        caches.explainers(engine),
        caches.evaluation(engine, truth) if truth is not None else None,
        data_docs,
    )
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    for module in (auth, review, beneficiary, search, health, monitoring):
        app.include_router(module.router)

    @app.get("/console/assets/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.mount("/console/vendor", StaticFiles(directory=DIST, check_dir=False), name="console-vendor")
