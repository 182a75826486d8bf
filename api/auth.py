"""Authentication and authorisation of requests: API key -> client, end-user headers, role checks.

A key comes in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. The end user acting through
a client system is named in ``X-User-Id`` and ``X-User-Location`` (as in ANPR's e-service calls:
who, from where, for the client's registered purpose); both are optional and recorded in the audit.
The caller is kept on the request state for the audit middleware, also when it is then refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.clients import Client
from api.errors import ApiError

SECURITY_SCHEMES = {
    "HTTPBearer": {"type": "http", "description": "API key as a bearer token", "scheme": "bearer"},
    "APIKeyHeader": {"type": "apiKey", "description": "API key", "in": "header", "name": "X-API-Key"},
}
USER_HEADERS = {"x-user-id": "end user acting through the client", "x-user-location": "where the end user works from"}
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


@dataclass(frozen=True)
class Caller:
    """Who is reading: the client system and, when given, its end user and their location."""

    client: Client
    user_id: str | None
    location: str | None

    @property
    def role(self) -> str:
        return self.client.role

    def has(self, grant: str) -> bool:
        return grant in self.client.grants


def _header(value: str | None, name: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > limit or not _PRINTABLE.match(value):
        raise ApiError(400, f"invalid {name} header: at most {limit} printable characters")
    return value.strip()


async def authenticate(request: Request) -> Caller:
    """The authenticated caller of this request, after its rate limit; 401/429 otherwise. Async: a key
    verified recently costs no I/O; otherwise the lookup (and scrypt) run in the threadpool.

    The headers are read here rather than declared as FastAPI parameters: declared, their parsing was a fifth of a
    merged record's CPU (bench/api_load.py). ``document_auth`` puts them in the OpenAPI document all the same."""
    headers = request.headers
    key = _bearer_token(headers.get("authorization")) or headers.get("x-api-key")
    if not key:
        raise ApiError(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            {"WWW-Authenticate": "Bearer"},
        )
    x_user_id, x_user_location = headers.get("x-user-id"), headers.get("x-user-location")
    services = request.app.state.services
    key = key.strip()
    client = services.keys.cached(key) or await run_in_threadpool(services.keys.verify, key)
    if client is None:
        raise ApiError(401, "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
    request.state.caller = Caller(client, None, None)
    caller = Caller(client, _header(x_user_id, "X-User-Id", 100), _header(x_user_location, "X-User-Location", 200))
    request.state.caller = caller
    limiter = services.limiter
    args = (client.client_id, client.rate_limit_per_minute)
    wait = await run_in_threadpool(limiter.take, *args) if limiter.shared else limiter.take(*args)
    if wait:
        raise ApiError(
            429,
            f"rate limit of {client.rate_limit_per_minute} requests per minute exceeded",
            {"Retry-After": str(wait)},
        )
    return caller


def _bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme in any case), else None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" and token.strip() else None


def document_auth(operation: dict) -> None:
    """An OpenAPI operation behind ``authenticate``: its security schemes and end-user headers."""
    operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
    operation.setdefault("parameters", []).extend(
        {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "title": name.title(), "description": text},
            "description": text,
        }
        for name, text in USER_HEADERS.items()
    )


def allow(*roles: str):
    """Dependency: the authenticated caller, refused with 403 unless its role is one of `roles`."""

    async def check(caller: Caller = Depends(authenticate)) -> Caller:  # async: no threadpool hop for a comparison
        if caller.role not in roles:
            raise ApiError(403, f"role {caller.role} may not use this endpoint (allowed: {', '.join(roles)})")
        return caller

    return check
