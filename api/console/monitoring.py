"""The monitoring marts as charts, each with a CSV download."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.console.monitoring_data import DATASETS, as_csv, dataset, monitoring_page
from api.console.pages import render
from api.console.session import ConsoleError, ConsoleUser, allow

router = APIRouter(prefix="/console", include_in_schema=False)
EVERYONE = ("steward", "case_worker", "analyst")


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring(request: Request, user: ConsoleUser = Depends(allow(*EVERYONE))) -> HTMLResponse:
    return render(request, "monitoring.html", user, datasets=monitoring_page(request.app.state.services.engine))


@router.get("/monitoring/{name}.csv")
def download(request: Request, name: str, user: ConsoleUser = Depends(allow(*EVERYONE))) -> Response:
    if name not in DATASETS:
        raise ConsoleError(404, f"There is no dataset {name}.", "Not found")
    body = as_csv(dataset(request.app.state.services.engine, name))
    headers = {"Content-Disposition": f'attachment; filename="fase-{name}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
