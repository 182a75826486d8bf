"""JSON errors for every failure: ``{"error": {"status": ..., "message": ...}}``, never a stack trace or SQL.

FastAPI's 422 validation errors become 400 with a message naming the offending fields (not their
values, which may be personal data or hostile input). Unexpected exceptions become a bare 500 and are
logged with an error id, the exception type and its frames only: driver messages can carry SQL and
parameters.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api")

MESSAGES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    410: "gone",
    429: "too many requests",
    500: "internal error",
    503: "service unavailable",
}


class ApiError(Exception):
    """A failure the client should see, with its HTTP status and a safe message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error_body(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The JSON error; the message is also kept for the audit row of this request."""
    request.state.audit_detail = message
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)] or ["body"]
    return ".".join(parts)


def validation_message(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:10]:
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            problems.append("body: not valid JSON")
        else:
            problems.append(f"{_field(tuple(err.get('loc', ())))}: {msg}")
    return "invalid request: " + "; ".join(problems)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(request, exc.status, exc.message, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(request, 400, validation_message(exc))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = MESSAGES.get(exc.status_code, "error")
    if exc.status_code == 404:
        message = "no such endpoint: see /openapi.json"
    return error_response(request, exc.status_code, message, getattr(exc, "headers", None))


class CatchAllMiddleware:
    """Outermost ASGI middleware: an unexpected exception becomes a JSON 500 and one log line with an
    error id, the exception type and the frames, never its message (it may quote SQL or personal data).
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
            body = json.dumps(error_body(500, f"internal error (reference {error_id})")).encode()
            await send(
                {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on `app`; add CatchAllMiddleware last (outermost)."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
