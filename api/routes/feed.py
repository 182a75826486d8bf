"""For integration clients: the change feed over ``beneficiary_change`` and the crosswalk, both paged with opaque
cursors (a cursor we did not issue is a 400) in the API's one paging shape (api/README.md, "Pagination")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from api import cursors
from api import repository as repo
from api.auth import Caller, allow
from api.errors import ApiError
from api.models import Change, ChangePage, CrosswalkEntry, CrosswalkPage
from api.openapi import problems
from api.routes import System, deprecation, json_response, note, services

router = APIRouter(prefix="/v1", tags=["integration"])
ERRORS = problems(400, 401, 403, 429)
CURSOR = Query(None, max_length=400, description="`next_cursor` of the previous page; absent: from the beginning")


@router.get(
    "/changes",
    response_model=ChangePage,
    responses=ERRORS,
    summary="Change feed",
)
def get_changes(
    request: Request,
    cursor: str | None = CURSOR,
    limit: int = Query(100, ge=1, le=1000),
    since: str | None = Query(None, max_length=400, deprecated=True, description="the old name of `cursor`"),
    caller: Caller = Depends(allow("integration")),
) -> Response:
    """Every change to beneficiaries in order: created, updated, merged (with ``merged_into``: move your
    references there), split (with ``related_ids``: the ids the records now belong to), retired.
    Poll with the returned ``next_cursor`` (always returned: it is where the feed goes on)."""
    if since is not None and cursor is not None:
        raise ApiError(400, "invalid request: give `cursor` (or the deprecated `since`), not both")
    after = cursors.decode_seq(cursor if since is None else since)
    with services(request).reader.connect() as conn:
        rows = repo.changes(conn, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    last = page[-1]["seq"] if page else after
    note(request, [r["beneficiary_id"] for r in page] or [None], f"changes after {after}: {len(page)}")
    items = [Change.model_construct(**{k: v for k, v in r.items() if k != "seq"}) for r in page]  # typed by the DB
    body = ChangePage(items=items, next_cursor=cursors.encode("changes", last), has_more=more)
    if since is None:
        return json_response(body)
    body.changes = items
    return json_response(body, deprecation())


@router.get(
    "/crosswalk",
    response_model=CrosswalkPage,
    responses=ERRORS,
    summary="The crosswalk, paged",
)
def get_crosswalk(
    request: Request,
    system: System | None = Query(None, description="only this system"),
    cursor: str | None = CURSOR,
    limit: int = Query(500, ge=1, le=5000),
    caller: Caller = Depends(allow("integration")),
) -> Response:
    """Source record -> beneficiary, ordered by system and the system's id; limited to the client's
    systems when it is scoped by system."""
    after = cursors.decode_key(cursor)
    systems = [system.value] if system else None
    if caller.client.scope_systems is not None:
        systems = sorted(set(systems or caller.client.scope_systems) & caller.client.scope_systems)
        if not systems:
            raise ApiError(403, "this system is outside the client's scope")
    with services(request).reader.connect() as conn:
        rows = repo.crosswalk_page(conn, systems, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    note(request, detail=f"crosswalk page: {len(page)} rows")
    nxt = cursors.encode("crosswalk", [page[-1]["source_system"], page[-1]["source_person_id"]]) if more else None
    return json_response(
        CrosswalkPage(items=[CrosswalkEntry.model_construct(**r) for r in page], next_cursor=nxt, has_more=more)
    )
