"""The review pages: the queue (filters, counts by status, priority order, j/k/Enter) and an item (records side
by side, the waterfall, household context; Match / Not a match / Skip with a reason; undo). Decisions go through
matching.review exactly as `fase review decide` does, recorded as the signed-in user, under the linkage lock: while
a linkage run holds it, the page says so and nothing is recorded. Stewards decide; analysts see pseudonymised pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.pages import render
from api.console.records import audit_ids, beneficiaries_of
from api.console.review_data import item_page, queue_page
from api.console.session import ConsoleError, ConsoleUser, allow, checked
from api.routes import note
from warehouse.locks import StepBusy

if TYPE_CHECKING:
    from matching.review import QueueFilter


router = APIRouter(prefix="/console", include_in_schema=False)
WAIT = 3.0  # seconds a decision waits for a linkage run to end before saying so
READERS = ("steward", "analyst")
BANDS = {
    "high": ("probability ≥ 0.95", (0.95, 1.01)),
    "mid": ("0.80 – 0.95", (0.8, 0.95)),
    "low": ("< 0.80", (0.0, 0.8)),
}
AGES = {"day": ("opened today", (None, 0)), "week": ("this week", (None, 6)), "older": ("older than a week", (7, None))}
BUSY = "A linkage run is going ({}). Nothing was recorded: try again in a minute."


def _unscoped(user: ConsoleUser) -> None:
    if user.client.scoped:
        raise ConsoleError(403, "Clerical review needs a key without a scope: it concerns every system.", "Not allowed")


def queue_filter(status: str, systems: str, band: str, age: str) -> QueueFilter:
    from matching import review

    parts = systems.split("|")
    ages = AGES.get(age, ("", (None, None)))[1]
    return review.QueueFilter(
        status=status if status in review.STATUSES else None,
        systems=(parts[0], parts[1]) if len(parts) == 2 else None,
        band=BANDS[band][1] if band in BANDS else None,
        min_age_days=ages[0],
        max_age_days=ages[1],
    )


def _services(request: Request):
    return request.app.state.services


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str = "open",
    systems: str = "",
    band: str = "",
    age: str = "",
    page: int = Query(1, ge=1, le=10_000),
    done: int | None = None,
    user: ConsoleUser = Depends(allow(*READERS)),
):
    """The review queue in priority order, filtered; counts by status."""
    _unscoped(user)
    flt = queue_filter(status, systems, band, age)
    data = queue_page(_services(request).engine, flt, page)
    note(request, audit_ids(data["audit_ids"]), "console: review queue")
    filters = {"status": status, "systems": systems, "band": band, "age": age}
    return render(
        request, "review_queue.html", user, page=page, filters=filters, bands=BANDS, ages=AGES, done=done, **data
    )


def next_open(engine, after: int) -> int | None:
    """The first open item after `after` in priority order (wrapping round), other than `after`."""
    from matching import review

    order = review.queue_ids(engine, review.QueueFilter(status=None))
    open_ids = set(review.queue_ids(engine, review.QueueFilter()))
    start = order.index(after) + 1 if after in order else 0
    return next((i for i in order[start:] + order[:start] if i in open_ids and i != after), None)


@router.get("/review/{review_id}", response_class=HTMLResponse)
def item(
    request: Request,
    review_id: int,
    done: int | None = None,
    undone: int | None = None,
    user: ConsoleUser = Depends(allow(*READERS)),
):
    """One item: the records side by side, the waterfall, the households; the decision form for stewards."""
    from matching.review import ReviewError

    _unscoped(user)
    state, svc = request.app.state.console, _services(request)
    try:
        explainer = state.explainers.get()
    except Exception:  # no linkage run yet (or its model unreadable): the stored evidence is shown instead
        explainer = None
    try:
        data = item_page(svc.engine, explainer, review_id, user, svc.pseudonym)
    except ReviewError:
        raise ConsoleError(404, f"There is no review item {review_id}.", "Not found") from None
    note(request, audit_ids(data["audit_ids"]), f"console: review item {review_id}")
    return render(request, "review_item.html", user, done=done, undone=undone, **data)


@router.post("/review/{review_id}/skip")
async def skip_with_reason(
    request: Request,
    review_id: int,
    reason: str = Form("", max_length=1000),
    user: ConsoleUser = Depends(checked("steward")),
) -> RedirectResponse:
    """Skip: nothing decided; a reason given is kept as a note on the item. On to the next open item."""
    from matching import review

    _unscoped(user)
    engine = _services(request).engine
    if reason.strip():
        try:
            await run_in_threadpool(review.add_note, engine, review_id, user.by, f"skipped: {reason.strip()}")
        except review.ReviewError as exc:
            raise ConsoleError(404, str(exc), "Not found") from None
    note(request, None, f"console: review {review_id} skipped")
    found = await run_in_threadpool(next_open, engine, review_id)
    return RedirectResponse(f"/console/review/{found}" if found else "/console/review", status_code=303)


@router.get("/review/{review_id}/next")
def skip(request: Request, review_id: int, user: ConsoleUser = Depends(allow(*READERS))) -> RedirectResponse:
    """Skip: the next open item in priority order, nothing recorded."""
    found = next_open(_services(request).engine, review_id)
    return RedirectResponse(f"/console/review/{found}" if found else "/console/review", status_code=303)


def _busy(exc: StepBusy) -> ConsoleError:
    return ConsoleError(409, BUSY.format(exc.holder.get("holder", "linkage")), "Try again in a minute")


@router.post("/review/{review_id}/decide")
async def decide(
    request: Request,
    review_id: int,
    decision: str = Form(...),
    reason: str = Form("", max_length=1000),
    user: ConsoleUser = Depends(checked("steward")),
) -> RedirectResponse:
    """Match / Not a match: a must-link or cannot-link constraint the next linkage run applies."""
    from matching import review

    _unscoped(user)
    if decision not in ("match", "no_match"):
        raise ConsoleError(400, "A decision is either 'match' or 'no_match'.")
    engine = _services(request).engine
    try:
        done = await run_in_threadpool(
            review.decide, engine, review_id, decision == "match", user.by, reason.strip() or None, WAIT
        )
    except StepBusy as exc:
        raise _busy(exc) from None
    except review.ReviewError as exc:
        raise ConsoleError(409, str(exc), "Not recorded") from None
    with engine.connect() as conn:
        note(
            request,
            audit_ids(beneficiaries_of(conn, [done["left"], done["right"]])),
            f"console: review {review_id} {decision}",
        )
    found = await run_in_threadpool(next_open, engine, review_id)
    target = f"/console/review/{found}" if found else "/console/review"
    return RedirectResponse(f"{target}?done={review_id}", status_code=303)


@router.post("/review/{review_id}/undo")
async def undo(request: Request, review_id: int, user: ConsoleUser = Depends(checked("steward"))) -> RedirectResponse:
    """Revoke the item's decision and reopen it; the next linkage run forgets it."""
    from matching import review

    _unscoped(user)
    engine = _services(request).engine
    try:
        await run_in_threadpool(review.undo_decision, engine, review_id, user.by, WAIT)
    except StepBusy as exc:
        raise _busy(exc) from None
    except review.ReviewError as exc:
        raise ConsoleError(409, str(exc), "Nothing to undo") from None
    note(request, None, f"console: review {review_id} decision undone")
    return RedirectResponse(f"/console/review/{review_id}?undone={review_id}", status_code=303)
