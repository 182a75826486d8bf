"""The /v1 endpoints, one module per concern; shared helpers for ids, scope and audit notes here."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum

from fastapi import Path, Request, Response
from pydantic import BaseModel

from api import repository as repo
from api.auth import Caller
from api.errors import ApiError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
BENEFICIARY_ID = Path(pattern=ID_PATTERN, max_length=24, description="a beneficiary id")
SOURCE_ID = Path(pattern=ID_PATTERN, max_length=64, description="the source system's own person id")


class System(StrEnum):
    """A source system as a path or query parameter: configuration.SYSTEMS, spelled out so that type checkers
    know the members (tests/test_api.py checks they are the same)."""

    sat = "sat"
    anagrafe = "anagrafe"
    polis = "polis"
    volontariato = "volontariato"
    contabilita = "contabilita"


DEPRECATED_ON = datetime(2026, 12, 1, tzinfo=UTC)
SUNSET_ON = datetime(2027, 6, 1, tzinfo=UTC)
"""The old paging parameters (`since`, `page`/`page_size`) work until SUNSET_ON (api/README.md, "Pagination")."""


def services(request: Request):
    """The app's shared services (engine, key verifier, rate limiter, pseudonymiser)."""
    return request.app.state.services


def note(request: Request, ids: list[str | None] | None = None, detail: str | None = None) -> None:
    """Tell the audit which beneficiaries this request touched (and how)."""
    if ids is not None:
        request.state.audit_ids = ids
    if detail is not None:
        request.state.audit_detail = detail


def record_path(beneficiary_id: str) -> str:
    return f"/v1/beneficiaries/{beneficiary_id}"


def check_scope(conn, caller: Caller, beneficiary_id: str, systems: set[str] | None = None) -> None:
    """403 unless the caller's scope covers this beneficiary (its id, ids merged into it, its systems)."""
    if not caller.client.scoped:
        return
    if systems is None:
        systems = {s["source_system"] for s in repo.sources(conn, beneficiary_id)}
    ids = {beneficiary_id} | repo.former_ids(conn, beneficiary_id)
    if not caller.client.may_see(ids, systems):
        raise ApiError(403, "this beneficiary is outside the client's scope")


def require_pseudonyms(caller: Caller, pseudonym) -> None:
    if caller.role == "analyst" and not pseudonym.available:
        raise ApiError(503, "pseudonymisation is not configured: analysts cannot be served")


def require_json(request: Request) -> None:
    """Dependency of the routes taking a JSON body: 415 when the client says the body is anything else (no
    Content-Type at all is read as JSON)."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media = declared.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError(415, "the request body must be application/json", {"Accept": "application/json"})


def deprecation() -> dict[str, str]:
    """The headers of an answer to a request using deprecated parameters (RFC 9745 Deprecation, RFC 8594 Sunset)."""
    return {"Deprecation": f"@{int(DEPRECATED_ON.timestamp())}", "Sunset": format_datetime(SUNSET_ON, usegmt=True)}


def json_response(body: BaseModel, headers: dict[str, str] | None = None) -> Response:
    """`body` serialised once, members never set left out (FastAPI would validate it again against the route's
    response model: the same model, at the cost of a second pass over every item of a page)."""
    return Response(body.model_dump_json(exclude_unset=True).encode(), media_type="application/json", headers=headers)
