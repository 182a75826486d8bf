"""Linkage health, pipeline health, the quarantine and the Data Docs (with their assets served from here)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.console.health_data import linkage_page, pipeline_page, quarantine_page
from api.console.pages import render
from api.console.session import ConsoleError, ConsoleUser, allow
from api.routes import note

router = APIRouter(prefix="/console", include_in_schema=False)
EVERYONE = ("steward", "case_worker", "analyst")


@router.get("/linkage", response_class=HTMLResponse)
def linkage(request: Request, user: ConsoleUser = Depends(allow(*EVERYONE))) -> HTMLResponse:
    """Match weights, m and u, cluster sizes, links per system pair, review backlog; precision/recall on a sandbox."""
    state = request.app.state.console
    data = linkage_page(request.app.state.services.engine, state.evaluation)
    return render(request, "linkage.html", user, **data)


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline(request: Request, user: ConsoleUser = Depends(allow(*EVERYONE))) -> HTMLResponse:
    """Last run per system and stream, failures, durations, open quarantine by stream."""
    data = pipeline_page(request.app.state.services.engine)
    docs = request.app.state.console.data_docs
    return render(request, "pipeline.html", user, data_docs=bool(docs and (docs / "index.html").is_file()), **data)


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine(
    request: Request,
    stream: str = "",
    page: int = Query(1, ge=1, le=10_000),
    user: ConsoleUser = Depends(allow("steward")),
) -> HTMLResponse:
    """The open quarantine entries with their reasons, browsable by stream ("system.stream")."""
    system, _, stream = stream.partition(".")
    data = quarantine_page(request.app.state.services.engine, system or None, stream or None, page)
    note(request, [None], f"console: quarantine page {page}")
    return render(request, "quarantine.html", user, system=system, stream=stream, page=page, **data)


@router.get("/data-docs/{path:path}")
def data_docs(request: Request, path: str, user: ConsoleUser = Depends(allow("steward"))) -> FileResponse:
    """The Great Expectations Data Docs site (its CDN links rewritten to local copies when it was built)."""
    root: Path | None = request.app.state.console.data_docs
    if root is None or not root.is_dir():
        raise ConsoleError(404, "No Data Docs yet: `fase validate` builds them.", "Not found")
    base = root.resolve()
    target = (base / (path or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(base) or not target.is_file():
        raise ConsoleError(404, "No such page in the Data Docs.", "Not found")
    note(request, [None], "console: data docs")
    return FileResponse(target)
