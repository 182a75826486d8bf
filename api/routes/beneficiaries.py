"""Merged records: by beneficiary id or by a source system's record id; the source records behind one.

A merged id answers 308 Permanent Redirect: ``Location`` is the same resource of the active
beneficiary it now belongs to (merge chains followed) and the body names it in ``merged_into``.
A retired id without a successor answers 410 Gone. A merged record carries an ``ETag``: send it back in
``If-None-Match`` and an unchanged record answers 304 Not Modified (api/etags.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from api import repository as repo
from api.auth import Caller, allow
from api.errors import ApiError
from api.etags import CACHE_CONTROL, entity_tag, matches
from api.models import BeneficiarySources, CrosswalkEntry, MergedRecord, MergedRedirect, SourceLink
from api.openapi import problems
from api.redaction import caller_id, redact_record
from api.routes import BENEFICIARY_ID, SOURCE_ID, System, check_scope, note, record_path, require_pseudonyms, services

router = APIRouter(prefix="/v1", tags=["beneficiaries"])
ERRORS = problems(400, 401, 403, 404, 410, 429)
REDIRECT: dict[int | str, dict[str, Any]] = {
    308: {"model": MergedRedirect, "description": "merged: follow Location to the surviving beneficiary"}
}
ETAG = {"ETag": {"description": "entity tag of this record as served to this caller", "schema": {"type": "string"}}}
RECORD: dict[int | str, dict[str, Any]] = {
    200: {"description": "the merged record", "headers": ETAG},
    304: {"description": "not modified: the copy named in If-None-Match is current", "headers": ETAG},
    **REDIRECT,
    **ERRORS,
}
IF_NONE_MATCH = Header(
    None, max_length=2000, description="the ETag of a copy you hold: 304 Not Modified while it is current"
)


def _redirect_if_gone(
    request: Request, conn, caller: Caller, found: repo.Resolution | None, suffix: str
) -> JSONResponse | None:
    """None for an active beneficiary; the 308 for a merged one; 404/410 otherwise (scope checked first)."""
    svc = services(request)
    if found is None:
        raise ApiError(404, "no such beneficiary")
    if found.status == "active":
        return None
    beneficiary_id = found.requested
    if found.status == "merged" and found.target:
        check_scope(conn, caller, found.target)
        location = record_path(found.target) + suffix
        body = MergedRedirect(
            beneficiary_id=caller_id(caller, svc.pseudonym, beneficiary_id),
            status="merged",
            merged_into=caller_id(caller, svc.pseudonym, found.target),
            location=location,
        )
        note(request, detail=f"merged into {found.target}")
        return JSONResponse(body.model_dump(), status_code=308, headers={"Location": location})
    check_scope(conn, caller, beneficiary_id)
    raise ApiError(410, f"beneficiary {found.status} without a successor")


def serve_record(request: Request, caller: Caller, beneficiary_id: str, if_none_match: str | None = None) -> Response:
    """The record of `beneficiary_id` as `caller` may see it (or 304 when the copy named by `if_none_match` is
    current), or the redirect/error for it."""
    svc = services(request)
    require_pseudonyms(caller, svc.pseudonym)
    note(request, [beneficiary_id])
    with svc.reader.connect() as conn:
        found, record = repo.read_record(conn, beneficiary_id, confidential=caller.has("confidential"))
        redirect = _redirect_if_gone(request, conn, caller, found, "")
        if redirect is not None:
            return redirect
        if record is None:  # _redirect_if_gone answers every id that is not active
            raise ApiError(404, "no such beneficiary")
        check_scope(conn, caller, beneficiary_id, {s["source_system"] for s in record["sources"]})
    body = MergedRecord.model_validate(redact_record(record, caller, svc.pseudonym)).model_dump_json().encode()
    tag = entity_tag(caller, body)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _linked(request: Request, caller: Caller, system: System, source_person_id: str) -> dict:
    """The crosswalk row of a source record, in the caller's scope; 404/403 otherwise."""
    with services(request).reader.connect() as conn:
        link = repo.by_source(conn, system.value, source_person_id)
        if link is None:
            note(request, [None])
            raise ApiError(404, "no beneficiary for this source record")
        note(request, [link["beneficiary_id"]])
        check_scope(conn, caller, link["beneficiary_id"])
    return link


@router.get(
    "/beneficiaries/{beneficiary_id}",
    response_model=MergedRecord,
    responses=RECORD,
    summary="A beneficiary's merged record",
)
def get_record(
    request: Request,
    beneficiary_id: str = BENEFICIARY_ID,
    if_none_match: str | None = IF_NONE_MATCH,
    caller: Caller = Depends(allow("case_worker", "analyst")),
):
    """Golden record with provenance, households, residences, stays, placements, services and payments
    (with their status history), and the source records behind it; redacted for the caller's role."""
    return serve_record(request, caller, beneficiary_id, if_none_match)


@router.get(
    "/beneficiaries/{beneficiary_id}/sources",
    response_model=BeneficiarySources,
    responses={**REDIRECT, **ERRORS},
    summary="The source records of a beneficiary (crosswalk)",
)
def get_sources(
    request: Request,
    beneficiary_id: str = BENEFICIARY_ID,
    caller: Caller = Depends(allow("case_worker", "integration")),
):
    """Every source record (system + the system's own id) linked to the beneficiary."""
    note(request, [beneficiary_id])
    with services(request).reader.connect() as conn:
        found, rows = repo.resolve_with_sources(conn, beneficiary_id)
        redirect = _redirect_if_gone(request, conn, caller, found, "/sources")
        if redirect is not None:
            return redirect
        check_scope(conn, caller, beneficiary_id, {r["source_system"] for r in rows})
    return BeneficiarySources(
        beneficiary_id=beneficiary_id,
        sources=[
            CrosswalkEntry(
                beneficiary_id=beneficiary_id,
                source_system=r["source_system"],
                source_person_id=r["source_person_id"],
                linked_at=r["linked_at"],
            )
            for r in rows
        ],
    )


@router.get(
    "/sources/{system}/{source_person_id}",
    response_model=SourceLink,
    responses=ERRORS,
    summary="The beneficiary of a source system's record",
)
def get_by_source(
    request: Request,
    system: System,
    source_person_id: str = SOURCE_ID,
    caller: Caller = Depends(allow("case_worker", "analyst", "integration")),
):
    """Which beneficiary a system's own record id (e.g. ``/v1/sources/sat/7141``) belongs to."""
    svc = services(request)
    require_pseudonyms(caller, svc.pseudonym)
    link = _linked(request, caller, system, source_person_id)
    return SourceLink(
        source_system=system.value,
        source_person_id=source_person_id,
        beneficiary_id=caller_id(caller, svc.pseudonym, link["beneficiary_id"]),
        id_space="pseudonym" if caller.role == "analyst" else "beneficiary",
        beneficiary=f"/v1/sources/{system.value}/{source_person_id}/record",
    )


@router.get(
    "/sources/{system}/{source_person_id}/record",
    response_model=MergedRecord,
    responses=RECORD,
    summary="The merged record behind a source record",
)
def get_record_by_source(
    request: Request,
    system: System,
    source_person_id: str = SOURCE_ID,
    if_none_match: str | None = IF_NONE_MATCH,
    caller: Caller = Depends(allow("case_worker", "analyst")),
):
    """As ``GET /v1/beneficiaries/{id}`` for the beneficiary a source record is linked to, in one call."""
    link = _linked(request, caller, system, source_person_id)
    return serve_record(request, caller, link["beneficiary_id"], if_none_match)
