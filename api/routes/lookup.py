"""Finding a beneficiary: by codice fiscale, or by name and birth date (fuzzy, ranked, paginated).

Both are POST with a JSON body so that codici fiscali and names stay out of URLs, proxy and
access logs (the audit records who looked, never what they typed).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api import repository as repo
from api.auth import Caller, allow
from api.errors import ApiError
from api.models import CfLookupResult, CfMatch, ErrorBody, SearchHit, SearchResult
from api.routes import note, record_path, services
from api.search import Query, rank
from schemas.standardise.codice_fiscale import OMOCODIC, PROVISIONAL, VALID, parse_cf

router = APIRouter(prefix="/v1/beneficiaries", tags=["lookup"])
ERRORS = {s: {"model": ErrorBody} for s in (400, 401, 403, 404, 429)}
TEXT = r"^[^\x00-\x1f\x7f]+$"
MAX_PAGE_SIZE = 100
CANDIDATE_LIMIT = 5000


class CfLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    codice_fiscale: str = Field(
        max_length=32,
        pattern=TEXT,
        description="16 characters (omocodic variants "
        "accepted) or an 11-digit provisional code; spaces and case ignored",
    )


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last_name: str = Field(min_length=1, max_length=100, pattern=TEXT)
    first_name: str | None = Field(None, max_length=100, pattern=TEXT)
    birth_date: date | None = Field(None, description="YYYY-MM-DD; narrows and ranks")
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


def _in_scope(conn, caller: Caller, beneficiary_id: str) -> bool:
    if not caller.client.scoped:
        return True
    ids = {beneficiary_id} | repo.former_ids(conn, beneficiary_id)
    return caller.client.may_see(ids, {s["source_system"] for s in repo.sources(conn, beneficiary_id)})


@router.post("/lookup", response_model=CfLookupResult, responses=ERRORS, summary="Find by codice fiscale")
def lookup_cf(request: Request, body: CfLookup, caller: Caller = Depends(allow("case_worker"))):
    """Beneficiaries whose source records carry this codice fiscale. Input is trimmed and upper-cased;
    an omocodic variant finds the records of its base code. Usually one match; more when a code was
    typed on a relative's record."""
    info = parse_cf(body.codice_fiscale)
    if info.status not in (VALID, OMOCODIC, PROVISIONAL):
        raise ApiError(400, f"not a valid codice fiscale ({info.reason or 'check character wrong'})")
    code = info.cf_base if info.status != PROVISIONAL else info.code
    with services(request).engine.connect() as conn:
        found = repo.by_codice_fiscale(conn, code, provisional=info.status == PROVISIONAL)
        matches = [m for m in found if _in_scope(conn, caller, m["beneficiary_id"])]
    note(request, [m["beneficiary_id"] for m in matches] or [None], "lookup by codice fiscale")
    if not matches:
        raise ApiError(404, "no beneficiary with this codice fiscale")
    return CfLookupResult(
        codice_fiscale=code, matches=[CfMatch(**m, beneficiary=record_path(m["beneficiary_id"])) for m in matches]
    )


@router.post("/search", response_model=SearchResult, responses=ERRORS, summary="Search by name and birth date")
def search(request: Request, body: SearchRequest, caller: Caller = Depends(allow("case_worker"))):
    """Fuzzy search, best first. Candidates come from SQL (same or day/month-swapped birth date when
    given, else the first two letters of the surname), then rapidfuzz ranks them (see api/search.py).
    ``page_size`` is at most 100."""
    query = Query.parse(body.last_name, body.first_name, body.birth_date)
    if query is None:
        raise ApiError(400, "invalid request: last_name: no letters to search for")
    with services(request).engine.connect() as conn:
        candidates = repo.search_candidates(conn, query.last_name[:2], query.birth_dates(), CANDIDATE_LIMIT)
        hits = [h for h in rank(query, candidates) if _in_scope(conn, caller, h["beneficiary_id"])]
    start = (body.page - 1) * body.page_size
    page = hits[start : start + body.page_size]
    note(
        request,
        [h["beneficiary_id"] for h in page] or [None],
        f"search: {len(page)} of {len(hits)} hits, page {body.page}",
    )
    return SearchResult(
        total=len(hits),
        page=body.page,
        page_size=body.page_size,
        items=[SearchHit(**h, beneficiary=record_path(h["beneficiary_id"])) for h in page],
    )
