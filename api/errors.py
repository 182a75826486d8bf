"""Errors as RFC 9457 problem details (``application/problem+json``) for every failure, never a stack trace or SQL.

A problem is ``{"type", "title", "status", "detail", "instance"}``: ``type`` is ``about:blank`` (the HTTP status
says what kind of problem it is), ``title`` the status' reason phrase, ``detail`` what went wrong in this request,
``instance`` the request's path as sent (percent-encoded, without its query string). Validation problems add ``errors``: one entry per
offending field, naming the field and the rule, never the value (it may be personal data or hostile input).

FastAPI's 422 validation errors become 400 (as the OpenAPI document says: api/openapi.py). Unexpected exceptions
become a bare 500 and are logged with an error id, the exception type and its frames only: driver messages can
carry SQL and parameters.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api")

PROBLEM_JSON = "application/problem+json"
DETAILS = {
    404: "no such endpoint: see /openapi.json",
    405: "method not allowed on this endpoint: see the Allow header",
}


class ApiError(Exception):
    """A failure the client should see, with its HTTP status and a safe message (the problem's detail)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, detail: str, instance: str, **extensions) -> dict:
    """The problem details object of one failure."""
    body = {"type": "about:blank", "title": title(status), "status": status, "detail": detail, "instance": instance}
    return {**body, **extensions}


def instance_of(scope) -> str:
    """The request's path as the client sent it (percent-encoded: a URI reference), bounded."""
    raw = scope.get("raw_path") or scope["path"].encode()
    return raw.decode("ascii", "replace")[:500]


def problem_bytes(status: int, detail: str, instance: str) -> bytes:
    """The problem as a response body, for middleware that answers without a Request object."""
    return json.dumps(problem(status, detail, instance)).encode()


def error_response(
    request: Request, status: int, message: str, headers: dict | None = None, **extensions
) -> JSONResponse:
    """The problem response; the message is also kept for the audit row of this request."""
    request.state.audit_detail = message
    return JSONResponse(
        problem(status, message, instance_of(request.scope), **extensions),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or ["body"]
    return ".".join(parts)


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """The offending fields (at most 10) and the rule each broke, without the values given."""
    found = []
    for err in exc.errors()[:10]:
        if err.get("type") == "json_invalid":
            found.append({"field": "body", "message": "not valid JSON"})
        else:
            found.append({"field": _field(tuple(err.get("loc", ()))), "message": err.get("msg", "invalid")})
    return found


def validation_message(errors: list[dict[str, str]]) -> str:
    return "invalid request: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(request, exc.status, exc.message, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = field_errors(exc)
    return error_response(request, 400, validation_message(errors), errors=errors)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = DETAILS.get(exc.status_code, title(exc.status_code).lower())
    return error_response(request, exc.status_code, detail, getattr(exc, "headers", None))


class CatchAllMiddleware:
    """Outermost ASGI middleware: an unexpected exception becomes a problem 500 and one log line with an error
    id, the exception type and the frames, never its message (it may quote SQL or personal data).
    Nothing is re-raised, so the server does not log it again with the message."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:12]
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("internal error %s: %s (message withheld)\n%s", error_id, type(exc).__name__, frames)
            if scope["type"] != "http" or started:
                return
            body = problem_bytes(500, f"internal error (reference {error_id})", instance_of(scope))
            await send(
                {"type": "http.response.start", "status": 500, "headers": [(b"content-type", PROBLEM_JSON.encode())]}
            )
            await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    """Register the problem handlers on `app`; add CatchAllMiddleware last (outermost). The handlers are
    registered through FastAPI's decorator, which types a handler of one exception class (Starlette's
    `add_exception_handler` wants a handler of any Exception)."""
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
