"""The FastAPI application: ``create_app(config_or_engine)`` wires the warehouse, keys, limits, audit.

``create_app_from_env`` is the uvicorn factory `fase serve` uses (it reads FASE_CONFIG), so that
several worker processes can each build their own app.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy.engine import Engine, make_url

from api import errors, openapi
from api.audit import AuditMiddleware
from api.clients import KeyVerifier
from api.ratelimit import RateLimiter, RedisRateLimiter, make_limiter
from api.routes import beneficiaries, feed, health, lookup
from configuration import HubConfig, load_config
from warehouse import db
from warehouse.pseudonyms import DEFAULT_PSEUDONYM_ENV, Pseudonymiser

log = logging.getLogger("api")
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
"""


@dataclass
class Services:
    """What the request handlers share within one process."""

    engine: Engine
    keys: KeyVerifier
    limiter: RateLimiter | RedisRateLimiter
    pseudonym: Pseudonymiser
    head: str | None


def _engine_and_key(source: HubConfig | Engine | str) -> tuple[Engine, str | None]:
    if isinstance(source, Engine):
        return source, os.environ.get(DEFAULT_PSEUDONYM_ENV)
    if isinstance(source, HubConfig):  # as the API's database role when the configuration names one
        url, key_env = source.api_warehouse_url(), source.secrets.pseudonym_key_env
    else:
        url, key_env = make_url(source), DEFAULT_PSEUDONYM_ENV
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
    return db.make_engine(url, **pool), os.environ.get(key_env)


def create_app(
    source: HubConfig | Engine | str,
    *,
    pseudonym_key: str | None = None,
    limiter: RateLimiter | RedisRateLimiter | None = None,
) -> FastAPI:
    """The API over a warehouse given as a hub configuration, an engine or a URL. The pseudonym key
    defaults to the configuration's ``secrets.pseudonym_key_env`` variable (FASE_PSEUDONYM_KEY); the rate
    limiter to the configuration's (shared through Redis when ``api.redis_url`` is set), else per process."""
    engine, env_key = _engine_and_key(source)
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
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = Services(engine, KeyVerifier(engine), limiter, Pseudonymiser(key), head)
    errors.install(app)
    openapi.install(app)
    for module in (beneficiaries, lookup, feed, health):
        app.include_router(module.router)
    app.add_middleware(AuditMiddleware, engine=engine)
    app.add_middleware(errors.CatchAllMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory: the app over the warehouse of the configuration named by FASE_CONFIG."""
    return create_app(load_config(os.environ.get("FASE_CONFIG")))
