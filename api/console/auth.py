"""Sign-in, sign-out and the console's home (each role lands on its first page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.pages import render
from api.console.session import (
    CONSOLE_ROLES,
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    ConsoleUser,
    checked,
    safe_next,
    sessions,
    set_cookie,
    signed_in,
)

router = APIRouter(prefix="/console", include_in_schema=False)
HOME = {"steward": "/console/review", "case_worker": "/console/search", "analyst": "/console/monitoring"}


def _form(request: Request, next_path: str | None, error: str | None = None, status: int = 200) -> HTMLResponse:
    token, cookie = sessions(request).login_token()
    response = render(request, "login.html", None, status, token=token, next=safe_next(next_path), error=error)
    set_cookie(response, request, LOGIN_COOKIE, cookie, LOGIN_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form (its token vouched for by a short-lived cookie)."""
    return _form(request, next)


@router.post("/login", response_model=None)
async def login(
    request: Request, api_key: str = Form(""), csrf_token: str = Form(""), next: str = Form("")
) -> HTMLResponse | RedirectResponse:
    """Check the form's token and the key (api/clients.py), then open a session."""
    box = sessions(request)
    if not box.login_token_ok(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _form(request, next, "The sign-in form expired: please try again.", 403)
    services = request.app.state.services
    key = api_key.strip()
    client = (services.keys.cached(key) or await run_in_threadpool(services.keys.verify, key)) if key else None
    if client is None:
        return _form(request, next, "This key is not valid or has been revoked.", 401)
    if client.role not in CONSOLE_ROLES:
        return _form(request, next, f"A key of role {client.role} is for systems, not for the console.", 403)
    response = RedirectResponse(safe_next(next) or HOME[client.role], status_code=303)
    set_cookie(response, request, SESSION_COOKIE, box.issue(client), SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(user: ConsoleUser = Depends(checked(*CONSOLE_ROLES))) -> RedirectResponse:
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/")
@router.get("")
def home(user: ConsoleUser = Depends(signed_in)) -> RedirectResponse:
    return RedirectResponse(HOME[user.role], status_code=303)
