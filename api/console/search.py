"""Search by name and birth date, or by codice fiscale: the read API's search (api/search.py ranking over
api/repository.py's candidates) and lookup, within the user's scope. A POST, so names and codes stay out of URLs
and logs; the audit names the beneficiaries shown, never what was typed."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from api import repository as repo
from api.console.pages import render
from api.console.records import audit_ids, in_scope, names
from api.console.session import ConsoleUser, allow, checked
from api.routes import note
from api.routes.lookup import CANDIDATE_LIMIT
from api.search import Query, rank
from schemas.standardise.codice_fiscale import OMOCODIC, PROVISIONAL, VALID, parse_cf

router = APIRouter(prefix="/console", include_in_schema=False)
READERS = ("steward", "case_worker")
SHOWN = 50


def by_code(conn, user: ConsoleUser, code: str) -> tuple[list[dict], str | None]:
    """Beneficiaries with a source record carrying this codice fiscale (omocodic variants to the base code)."""
    info = parse_cf(code)
    if info.status not in (VALID, OMOCODIC, PROVISIONAL):
        return [], f"Not a valid codice fiscale ({info.reason or 'check character wrong'})."
    base = info.cf_base if info.status != PROVISIONAL else info.code
    if not base:
        return [], "Not a valid codice fiscale."
    found = repo.by_codice_fiscale(conn, base, provisional=info.status == PROVISIONAL)
    found = [m for m in found if in_scope(conn, user, m["beneficiary_id"])]
    called = names(conn, {m["beneficiary_id"] for m in found})
    return [{**m, "name": called.get(m["beneficiary_id"])} for m in found], None


def by_name(conn, user: ConsoleUser, last: str, first: str | None, born: date | None) -> tuple[list[dict], str | None]:
    query = Query.parse(last, first, born)
    if query is None:
        return [], "Give a surname with letters in it."
    candidates = repo.search_candidates(conn, query.last_name[:2], query.birth_dates(), CANDIDATE_LIMIT)
    return [h for h in rank(query, candidates) if in_scope(conn, user, h["beneficiary_id"])][:SHOWN], None


@router.get("/search", response_class=HTMLResponse)
def search_form(request: Request, user: ConsoleUser = Depends(allow(*READERS))) -> HTMLResponse:
    return render(request, "search.html", user, results=None, form={})


@router.post("/search", response_class=HTMLResponse)
def search(
    request: Request,
    last_name: str = Form("", max_length=100),
    first_name: str = Form("", max_length=100),
    birth_date: str = Form("", max_length=10),
    codice_fiscale: str = Form("", max_length=32),
    user: ConsoleUser = Depends(checked(*READERS)),
) -> HTMLResponse:
    """Results by code when one is given, else by name (and birth date)."""
    form = {
        "last_name": last_name,
        "first_name": first_name,
        "birth_date": birth_date,
        "codice_fiscale": codice_fiscale,
    }
    results: list[dict] = []
    error, mode = None, "code" if codice_fiscale.strip() else "name"
    try:
        born = date.fromisoformat(birth_date) if birth_date.strip() else None
    except ValueError:
        born, error = None, "The birth date must be a date (YYYY-MM-DD)."
    with request.app.state.services.engine.connect() as conn:
        if error is None and mode == "code":
            results, error = by_code(conn, user, codice_fiscale)
        elif error is None and last_name.strip():
            results, error = by_name(conn, user, last_name, first_name.strip() or None, born)
        elif error is None:
            error = "Give a surname (and a first name or birth date), or a codice fiscale."
    note(request, audit_ids(r["beneficiary_id"] for r in results), f"console: search by {mode}, {len(results)} shown")
    return render(request, "search.html", user, results=results, mode=mode, error=error, form=form)
