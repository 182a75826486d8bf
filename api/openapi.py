"""The OpenAPI document as the API behaves: problems (RFC 9457) where FastAPI would list 422 `HTTPValidationError`.

FastAPI documents every operation with parameters as answering 422 with its own validation schema, and error
models under `application/json`. This API answers 400 (api/errors.py) with `application/problem+json`, 415 to a
request body that is not JSON, 500 and (when the audit row cannot be written, or analysts' pseudonyms are not
configured) 503 on any audited operation. The API key and end-user headers, read by ``api.auth.authenticate``
itself, are added to the operations that call it. ``document`` rewrites the generated document once, so that clients
generated from it and Schemathesis (tests/test_api_schemathesis.py) see what the API really sends.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.auth import SECURITY_SCHEMES, authenticate, document_auth
from api.errors import PROBLEM_JSON
from api.models import Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    400: "invalid request: the `errors` member names each offending field",
    401: "missing, invalid or revoked API key",
    403: "the client's role or scope does not allow this",
    404: "not found",
    410: "gone: retired without a successor",
    415: "the request body is not `application/json`",
    429: "rate limit exceeded: retry after `Retry-After` seconds",
    500: "internal error (the detail holds a reference for the logs)",
    503: "the read was not served: audit log unavailable, or the service is not ready",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


def problems(*statuses: int) -> dict[int | str, dict]:
    """The `responses` of a route for these problem statuses (rewritten to problem+json by ``document``)."""
    return {s: {"model": Problem, "description": DESCRIPTIONS.get(s, "problem")} for s in statuses}


def _problem_response(status: int) -> dict:
    response = {"description": DESCRIPTIONS.get(status, "problem"), "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if status == 429:
        response["headers"] = RETRY_AFTER
    return response


def _fix_operation(path: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    validates = responses.pop("422", None) is not None
    statuses = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
    if validates:
        statuses.add(400)
    if "requestBody" in operation:
        statuses.add(415)
    statuses.add(500)
    if path.startswith("/v1/") and path not in ("/v1/health",):
        statuses.add(503)
    for status in statuses:
        responses[str(status)] = _problem_response(status)


def _calls(dependant: Dependant, function) -> bool:
    """Whether `function` is among the dependencies of `dependant`, at any depth."""
    return any(d.call is function or _calls(d, function) for d in dependant.dependencies)


def document(app: FastAPI) -> dict:
    """The app's OpenAPI document, built once and rewritten as described above."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            _fix_operation(path, operation)
    authenticated = [r for r in app.routes if isinstance(r, APIRoute) and _calls(r.dependant, authenticate)]
    for route in authenticated:
        for method in route.methods:
            document_auth(spec["paths"][route.path_format][method.lower()])
    if authenticated:
        spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = spec
    return spec


def install(app: FastAPI) -> None:
    """Serve the rewritten document at the app's openapi_url."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]  # FastAPI's documented override
