"""The FastAPI application: ``create_app(config_or_engine)`` wires the warehouse, keys, limits, audit, the
console (/console) and the API's docs (/docs, Swagger UI from the vendored assets: it renders offline).

The uvicorn factory `fase serve` uses is hub.webapp.create_app_from_env (it reads FASE_CONFIG and gives the
console a sandbox's ground truth), so that several worker processes can each build their own app.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine, make_url

from api import console, errors, openapi
from api.audit import AuditMiddleware, PostgresAuditWriter, audit_writer
from api.clients import KeyVerifier
from api.ratelimit import RateLimiter, RedisRateLimiter, make_limiter
from api.routes import beneficiaries, feed, health, lookup
from configuration import HubConfig
from warehouse import db
from warehouse.pseudonyms import DEFAULT_PSEUDONYM_ENV, Pseudonymiser

log = logging.getLogger("api")
DEFAULT_CONSOLE_ENV = "FASE_CONSOLE_SECRET"
SWAGGER = "/console/vendor/swagger-ui-dist"
DESCRIPTION = """Read API of fase-hub for case-management systems.

**Authentication**: an API key in `Authorization: Bearer <key>` or `X-API-Key`. The end user acting
through the client may be named in `X-User-Id` and `X-User-Location`; both go to the audit log.

**Roles**: `case_worker` (full records in the client's scope; protected addresses and structures
only with the `confidential` grant), `analyst` (pseudonymised records), `integration` (change feed
and crosswalk). Every read of personal data, refused ones included, is audited.

**Merged beneficiaries** answer `308` with `Location` and `merged_into`; retired ones `410`.

**Errors** are RFC 9457 problem details (`application/problem+json`: `type`, `title`, `status`, `detail`,
`instance`); `429` carries `Retry-After`. **Lists** page alike: `cursor` + `limit` in, `{items, next_cursor,
has_more}` out. **Merged records** carry an `ETag`: poll with `If-None-Match` (304 when unchanged).

People use the console at `/console` (sign in with a key of role `steward`, `case_worker` or `analyst`).
"""


@dataclass
class Services:
    """What the request handlers share within one process."""

    engine: Engine
    """For writes (console decisions, sessions) and the console's reads."""
    reader: Engine
    """The same pool in autocommit, for the API's reads: no BEGIN/ROLLBACK round trips, and psycopg keeps its
    prepared statements (a rollback clears them). Each read is one statement or, at READ COMMITTED, would see a
    snapshot per statement inside a transaction too."""
    keys: KeyVerifier
    limiter: RateLimiter | RedisRateLimiter
    pseudonym: Pseudonymiser
    head: str | None
    audit: PostgresAuditWriter | None
    """PostgreSQL: the audit rows' connection on the event loop (closed at shutdown)."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    if app.state.services.audit is not None:
        await app.state.services.audit.close()


def _engine_and_keys(source: HubConfig | Engine | str) -> tuple[Engine, str | None, str | None]:
    """The engine, the pseudonym key and the console secret (from the variables the configuration names)."""
    if isinstance(source, Engine):
        return source, os.environ.get(DEFAULT_PSEUDONYM_ENV), os.environ.get(DEFAULT_CONSOLE_ENV)
    if isinstance(source, HubConfig):  # as the API's database role when the configuration names one
        url, key_env = source.api_warehouse_url(), source.secrets.pseudonym_key_env
        secret_env = source.secrets.console_secret_env
    else:
        url, key_env, secret_env = make_url(source), DEFAULT_PSEUDONYM_ENV, DEFAULT_CONSOLE_ENV
    pool = (
        {}
        if url.get_backend_name() == "sqlite"
        else {  # no pre-ping round trip per request: recycle instead
            "pool_size": 10,
            "max_overflow": 20,
            "pool_pre_ping": False,
            "pool_recycle": 300,
        }
    )
    return db.make_engine(url, **pool), os.environ.get(key_env), os.environ.get(secret_env)


def _docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the vendored swagger-ui-dist (no CDN; no validator badge call)."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )


def create_app(
    source: HubConfig | Engine | str,
    *,
    pseudonym_key: str | None = None,
    limiter: RateLimiter | RedisRateLimiter | None = None,
    console_secret: str | None = None,
    truth: Callable[[], Mapping[str, int]] | None = None,
) -> FastAPI:
    """The API and the console over a warehouse given as a hub configuration, an engine or a URL. The pseudonym
    key and the console secret default to the variables the configuration names (FASE_PSEUDONYM_KEY,
    FASE_CONSOLE_SECRET); the rate limiter to the configuration's (shared through Redis when ``api.redis_url``
    is set), else per process; `truth` (record key -> true person) lets the console score a sandbox's linkage."""
    engine, env_key, env_secret = _engine_and_keys(source)
    if limiter is None:
        limiter = make_limiter(source.api) if isinstance(source, HubConfig) else RateLimiter()
    key = pseudonym_key or env_key
    if not key:
        log.warning("no pseudonym key: analyst clients will get 503")
    head = ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()
    app = FastAPI(
        title="fase-hub read API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    writer = audit_writer(engine)
    app.state.services = Services(engine, reader, KeyVerifier(reader), limiter, Pseudonymiser(key), head, writer)
    errors.install(app)
    openapi.install(app)
    for module in (beneficiaries, lookup, feed, health):
        app.include_router(module.router)
    _docs(app)
    data_docs = Path(source.data_dir).resolve() / "data_docs" if isinstance(source, HubConfig) else None
    console.install(app, engine, secret=console_secret or env_secret, data_docs=data_docs, truth=truth)
    app.add_middleware(AuditMiddleware, engine=engine, writer=writer)
    app.add_middleware(errors.CatchAllMiddleware)
    return app
