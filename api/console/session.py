"""Console sign-in: a signed session cookie carrying the client id and a CSRF token; the key itself is never kept.

A person signs in with their API key (`fase api-keys create --role steward|case_worker|analyst`), verified by
api/clients.py exactly as a /v1 call is. The session cookie (itsdangerous, signed with the configured console
secret, timestamped) holds the client id and a random CSRF token; it is HttpOnly, SameSite=Strict, Secure when the
request came over https, and expires after SESSION_SECONDS. Every request re-reads the client (cached for
CLIENT_TTL seconds): a revoked key ends its sessions. Every POST carries the session's token in a form field,
compared in constant time (`checked`). Before sign-in, the sign-in form's token lives in a short-lived cookie of
its own. Integration keys are for machines and cannot sign in.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from api.auth import Caller
from api.clients import CLIENT_TTL, Client, active_client

SESSION_COOKIE = "fase_console"
LOGIN_COOKIE = "fase_console_login"
SESSION_SECONDS = 8 * 3600
LOGIN_SECONDS = 15 * 60
CONSOLE_ROLES = ("steward", "case_worker", "analyst")
BY_LIMIT = 100  # review_item.decided_by, link_constraint.created_by


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in person: their API client and their session's CSRF token."""

    client: Client
    csrf: str

    @property
    def role(self) -> str:
        return self.client.role

    @property
    def caller(self) -> Caller:
        """The caller the API's redaction and audit see (location 'console': the read came through here)."""
        return Caller(self.client, None, "console")

    @property
    def pseudonymised(self) -> bool:
        return self.role == "analyst"

    @property
    def steward(self) -> bool:
        return self.role == "steward"

    @property
    def by(self) -> str:
        """Who a decision is recorded as: the client's name and its id (what the audit names)."""
        suffix = f" ({self.client.client_id})"
        return self.client.name[: BY_LIMIT - len(suffix)] + suffix


class NotSignedIn(Exception):
    """No valid session: the browser is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class ConsoleError(Exception):
    """A page that cannot be shown or an action refused, with its HTTP status and a message for the person."""

    def __init__(self, status: int, message: str, title: str | None = None):
        super().__init__(message)
        self.status, self.message, self.title = status, message, title


class Sessions:
    """Issues and reads session cookies; remembers clients for CLIENT_TTL seconds."""

    def __init__(self, engine: Engine, secret: str, clock=time.monotonic):
        self.engine, self._clock = engine, clock
        self._session = URLSafeTimedSerializer(secret, salt="fase-console-session")
        self._login = URLSafeTimedSerializer(secret, salt="fase-console-login")
        self._clients: dict[str, tuple[float, Client | None]] = {}
        self._lock = threading.Lock()

    def issue(self, client: Client) -> str:
        return self._session.dumps({"c": client.client_id, "t": secrets.token_urlsafe(32)})

    def _client(self, client_id: str) -> Client | None:
        with self._lock:
            cached = self._clients.get(client_id)
        if cached and self._clock() - cached[0] < CLIENT_TTL:
            return cached[1]
        client = active_client(self.engine, client_id)
        with self._lock:
            self._clients[client_id] = (self._clock(), client)
        return client

    def user(self, cookie: str | None) -> ConsoleUser | None:
        """The user of a session cookie; None when missing, forged, expired, or its key revoked."""
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str) or not isinstance(data.get("t"), str):
            return None
        client = self._client(data["c"])
        if client is None or client.role not in CONSOLE_ROLES:
            return None
        return ConsoleUser(client, data["t"])

    def login_token(self) -> tuple[str, str]:
        """A token for the sign-in form and the cookie that vouches for it."""
        token = secrets.token_urlsafe(32)
        return token, self._login.dumps(token)

    def login_token_ok(self, cookie: str | None, token: str) -> bool:
        try:
            expected = self._login.loads(cookie or "", max_age=LOGIN_SECONDS)
        except BadSignature:
            return False
        return isinstance(expected, str) and hmac.compare_digest(expected.encode(), token.encode())


def set_cookie(response, request: Request, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Strict cookie for the console's paths, Secure over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def sessions(request: Request) -> Sessions:
    return request.app.state.console.sessions


def safe_next(path: str | None) -> str | None:
    """A place inside the console to go back to after sign-in (never another site)."""
    if path and path.startswith("/console/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def login_url(next_path: str) -> str:
    return "/console/login?next=" + quote(next_path, safe="/")


async def signed_in(request: Request) -> ConsoleUser:
    """Dependency: the signed-in user (also the caller the audit of this request names), else NotSignedIn."""
    user = await run_in_threadpool(sessions(request).user, request.cookies.get(SESSION_COOKIE))
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(path if request.method == "GET" else "/console/")
    request.state.caller = user.caller
    request.state.console_user = user
    return user


def allow(*roles: str):
    """Dependency: the signed-in user, refused with a 403 page unless their role is one of `roles`."""

    async def check(user: ConsoleUser = Depends(signed_in)) -> ConsoleUser:
        if user.role not in roles:
            raise ConsoleError(403, f"The {user.role} role cannot open this page.", "Not allowed")
        return user

    return check


def checked(*roles: str):
    """Dependency for a POST: `allow(*roles)` and the session's CSRF token in the form field `csrf_token`."""

    async def check(user: ConsoleUser = Depends(allow(*roles)), csrf_token: str = Form("")) -> ConsoleUser:
        if not csrf_token or not hmac.compare_digest(csrf_token.encode(), user.csrf.encode()):
            raise ConsoleError(403, "The form's security token is missing or stale: reload the page and retry.")
        return user

    return check
