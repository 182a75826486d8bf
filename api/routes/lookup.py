"""Finding a beneficiary: by codice fiscale, or by name and birth date (fuzzy, ranked, paginated).

Both are POST with a JSON body so that codici fiscali and names stay out of URLs, proxy and
access logs (the audit records who looked, never what they typed).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import cursors
from api import repository as repo
from api.auth import Caller, allow
from api.errors import ApiError
from api.models import CfLookupResult, CfMatch, SearchHit, SearchPage
from api.openapi import problems
from api.routes import deprecation, json_response, note, record_path, require_json, services
from api.search import Query, rank
from schemas.standardise.codice_fiscale import OMOCODIC, PROVISIONAL, VALID, parse_cf

router = APIRouter(prefix="/v1/beneficiaries", tags=["lookup"], dependencies=[Depends(require_json)])
ERRORS = problems(400, 401, 403, 404, 429)
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
    cursor: str | None = Field(None, max_length=400, description="`next_cursor` of the previous page")
    limit: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="hits per page")
    page: int | None = Field(None, ge=1, le=1000, deprecated=True, description="old paging: use `cursor`")
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, deprecated=True, description="old name of `limit`")

    def window(self) -> tuple[int, int]:
        """(offset, size) of the page asked for, by cursor or by the deprecated page number."""
        if self.page is not None or self.page_size is not None:
            if self.cursor is not None:
                raise ApiError(400, "invalid request: give `cursor` or the deprecated `page`, not both")
            size = self.page_size or self.limit
            return ((self.page or 1) - 1) * size, size
        return cursors.decode_offset(self.cursor, CANDIDATE_LIMIT), self.limit


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
    code = info.cf_base if info.status != PROVISIONAL else info.code  # None unless valid, omocodic or provisional
    if info.status not in (VALID, OMOCODIC, PROVISIONAL) or code is None:
        raise ApiError(400, f"not a valid codice fiscale ({info.reason or 'check character wrong'})")
    with services(request).reader.connect() as conn:
        found = repo.by_codice_fiscale(conn, code, provisional=info.status == PROVISIONAL)
        matches = [m for m in found if _in_scope(conn, caller, m["beneficiary_id"])]
    note(request, [m["beneficiary_id"] for m in matches] or [None], "lookup by codice fiscale")
    if not matches:
        raise ApiError(404, "no beneficiary with this codice fiscale")
    return CfLookupResult(
        codice_fiscale=code, matches=[CfMatch(**m, beneficiary=record_path(m["beneficiary_id"])) for m in matches]
    )


@router.post(
    "/search",
    response_model=SearchPage,
    responses=ERRORS,
    summary="Search by name and birth date",
)
def search(request: Request, body: SearchRequest, caller: Caller = Depends(allow("case_worker"))) -> Response:
    """Fuzzy search, best first. Candidates come from SQL (same or day/month-swapped birth date when
    given, else the first two letters of the surname), then rapidfuzz ranks them (see api/search.py).
    ``limit`` is at most 100; the next page: the same criteria with ``cursor`` = ``next_cursor``."""
    query = Query.parse(body.last_name, body.first_name, body.birth_date)
    if query is None:
        raise ApiError(400, "invalid request: last_name: no letters to search for")
    start, size = body.window()
    with services(request).reader.connect() as conn:
        candidates = repo.search_candidates(conn, query.last_name[:2], query.birth_dates(), CANDIDATE_LIMIT)
        hits = [h for h in rank(query, candidates) if _in_scope(conn, caller, h["beneficiary_id"])]
    page, more = hits[start : start + size], len(hits) > start + size
    note(
        request, [h["beneficiary_id"] for h in page] or [None], f"search: {len(page)} of {len(hits)} hits from {start}"
    )
    result = SearchPage(
        items=[SearchHit(**h, beneficiary=record_path(h["beneficiary_id"])) for h in page],
        next_cursor=cursors.encode("search", start + size) if more else None,
        has_more=more,
        total=len(hits),
    )
    if body.page is None and body.page_size is None:
        return json_response(result)
    result.page, result.page_size = body.page or 1, size
    return json_response(result, deprecation())
