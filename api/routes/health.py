"""Liveness and readiness (no key needed, not audited: they reveal nothing about people)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request

from api.errors import ApiError
from api.models import Health, Readiness
from api.openapi import problems
from api.routes import services
from warehouse import db

router = APIRouter(prefix="/v1", tags=["operations"])


@router.get("/health", response_model=Health, summary="Liveness")
def health() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses=problems(503), summary="Readiness")
def ready(request: Request) -> Readiness:
    """The warehouse answers and is migrated to the head revision this code expects."""
    svc = services(request)
    try:
        with svc.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        revision = db.current_revision(svc.engine)
    except Exception as exc:  # any driver error means not ready; its text may hold connection details
        raise ApiError(503, f"warehouse unreachable ({type(exc).__name__})") from None
    if revision != svc.head:
        raise ApiError(503, f"warehouse at revision {revision or '(none)'}, expected {svc.head}: run `fase db upgrade`")
    return Readiness(status="ready", revision=revision, head=svc.head)
