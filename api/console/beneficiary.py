"""The beneficiary 360° page (case workers within their scope, stewards) and, for stewards, undoing the merge or
split that made it: matching.review's undo_merge / undo_split, applied at the next linkage run."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.beneficiary_data import Moved, profile_page
from api.console.pages import render
from api.console.records import audit_ids
from api.console.review import WAIT, _busy
from api.console.session import ConsoleError, ConsoleUser, allow, checked
from api.routes import BENEFICIARY_ID, note
from warehouse.locks import StepBusy

router = APIRouter(prefix="/console", include_in_schema=False)
READERS = ("steward", "case_worker")


@router.get("/beneficiaries/{beneficiary_id}", response_class=HTMLResponse, response_model=None)
def profile(
    request: Request,
    beneficiary_id: str = BENEFICIARY_ID,
    done: str | None = None,
    user: ConsoleUser = Depends(allow(*READERS)),
) -> HTMLResponse | RedirectResponse:
    """Golden record with provenance, source records, timeline, household, merge and split history."""
    svc = request.app.state.services
    note(request, [beneficiary_id])
    try:
        data = profile_page(svc.engine, beneficiary_id, user, svc.pseudonym)
    except Moved as moved:
        note(request, [beneficiary_id], f"console: merged into {moved.target}")
        return RedirectResponse(f"/console/beneficiaries/{moved.target}", status_code=303)
    note(request, audit_ids(data["audit_ids"]), "console: 360° view")
    return render(request, "beneficiary.html", user, done=done, **data)


async def _undo(request: Request, beneficiary_id: str, user: ConsoleUser, what: str) -> RedirectResponse:
    """Undo the latest merge or split (matching.review.undo_merge / undo_split) as the signed-in user."""
    from matching import review

    action = review.undo_merge if what == "merge" else review.undo_split
    if user.client.scoped:
        raise ConsoleError(403, "Undoing a merge or split needs a key without a scope.", "Not allowed")
    try:
        await run_in_threadpool(action, request.app.state.services.engine, beneficiary_id, user.by, WAIT)
    except StepBusy as exc:
        raise _busy(exc) from None
    except review.ReviewError as exc:
        raise ConsoleError(409, str(exc), "Nothing to undo") from None
    note(request, [beneficiary_id], f"console: {what} undone")
    return RedirectResponse(f"/console/beneficiaries/{beneficiary_id}?done={what}", status_code=303)


@router.post("/beneficiaries/{beneficiary_id}/undo-merge")
async def undo_merge(
    request: Request, beneficiary_id: str = BENEFICIARY_ID, user: ConsoleUser = Depends(checked("steward"))
) -> RedirectResponse:
    return await _undo(request, beneficiary_id, user, "merge")


@router.post("/beneficiaries/{beneficiary_id}/undo-split")
async def undo_split(
    request: Request, beneficiary_id: str = BENEFICIARY_ID, user: ConsoleUser = Depends(checked("steward"))
) -> RedirectResponse:
    return await _undo(request, beneficiary_id, user, "split")
