"""The audit trail: one append-only ``api_audit`` row per request reading personal data, refusals included.

Every request under /v1 except health and readiness, and every console page showing personal data
(CONSOLE_AUDITED), is audited by ``AuditMiddleware`` when its response starts: who (client, role, purpose,
end user, location), what (method, path without query string, beneficiaries), when and the outcome (HTTP
status). Routes name the beneficiaries they served
in ``request.state.audit_ids``: one goes to ``beneficiary_id``; several (a page of the change feed, search
hits, a lookup matching more than one) to ``beneficiary_ids`` as a JSON array, hashed with the row and indexed
by the database in ``api_audit_beneficiary`` — one row per page, found by beneficiary all the same
(``query_audit``). A request refused before its route ran is recorded with the beneficiary id of its path.
The row is written before the response leaves: if it cannot be written, the caller gets a 503 instead of the
data.
Codici fiscali and names searched for travel in request bodies and are never written here.
Rows are hash-chained (``warehouse.audit_chain``): `fase audit verify` finds a row deleted or edited later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime

import anyio
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.errors import PROBLEM_JSON, instance_of, problem_bytes
from warehouse import audit_chain
from warehouse.models.access import ACCESS_TABLES
from warehouse.types import utcnow

log = logging.getLogger("api.audit")
api_audit, audit_index = ACCESS_TABLES["api_audit"], ACCESS_TABLES["api_audit_beneficiary"]
UNAUDITED = ("/v1/health", "/v1/ready")
UNAVAILABLE = "audit log unavailable: the read was not served"
CONSOLE_AUDITED = (
    "/console/review",
    "/console/beneficiaries/",
    "/console/search",
    "/console/quarantine",
    "/console/data-docs/",
)
"""Console pages that show personal data (or act on it); their static assets are not audited."""
ASSETS = (".css", ".js", ".png", ".ico", ".svg", ".woff", ".woff2", ".ttf", ".map")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value: str | None, limit: int) -> str | None:
    """Text fit for the log: control characters (NUL breaks PostgreSQL) replaced, length bounded."""
    return None if value is None else _CONTROL.sub("\ufffd", value)[:limit]


def audited(path: str) -> bool:
    if path.startswith("/console/"):
        return path.startswith(CONSOLE_AUDITED) and not path.endswith(ASSETS)
    return path.startswith("/v1/") and path not in UNAUDITED


def audit_rows(scope: dict, status: int) -> list[dict]:
    """The row describing one request, from what auth and the route left on the request state."""
    state = scope.get("state", {})
    caller = state.get("caller")
    client = caller.client if caller else None
    base = {
        "at": utcnow(),
        "method": scope["method"][:10],
        "path": _clean(scope["path"], 500),
        "outcome": status,
        "client_id": client.client_id if client else None,
        "role": client.role if client else None,
        "purpose": client.purpose if client else None,
        "user_id": caller.user_id if caller else None,
        "location": caller.location if caller else None,
        "detail": _clean(state.get("audit_detail"), 1000),
    }
    ids = state.get("audit_ids") or [scope.get("path_params", {}).get("beneficiary_id")]  # refused early: the id asked
    named = list(dict.fromkeys(_clean(bid, 24) for bid in ids if bid))  # once each, in the order served
    if len(named) > 1:
        return [{**base, "beneficiary_id": None, "beneficiary_ids": json.dumps(named, separators=(",", ":"))}]
    return [{**base, "beneficiary_id": named[0] if named else None, "beneficiary_ids": None}]


class PostgresAuditWriter:
    """PostgreSQL: a worker's audit rows through one connection of psycopg's own asyncio API, on the event loop.

    Why: written from the threadpool through SQLAlchemy, the audit row was a third of a merged record's CPU (a thread
    hop each way and the statement's Python; bench/api_load.py). The rows are chained by the table's trigger as
    in ``audit_chain.append``, which serialises them anyway: one connection per worker loses no throughput. A
    connection the server closed is replaced and the row written again, once; a second failure is the request's
    503 (no audit row, no data)."""

    def __init__(self, engine: Engine):
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._conn: psycopg.AsyncConnection | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def write(self, rows: list[dict]) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's portal): nothing of the old one is usable
            self._loop, self._lock, self._conn = loop, asyncio.Lock(), None
        assert self._lock is not None
        async with self._lock:
            try:
                await self._insert(rows)
            except psycopg.OperationalError:  # the server closed it (restart, idle timeout): once more, afresh
                self._conn = None
                await self._insert(rows)

    async def _insert(self, rows: list[dict]) -> None:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, application_name=AUDIT_CONNECTION
            )
        if len(rows) == 1:
            await self._conn.execute(INSERT, rows[0])
            return
        async with self._conn.transaction():
            await self._conn.cursor().executemany(INSERT, rows)

    async def close(self) -> None:
        """Close the connection (the app's shutdown): its backend ends now, not when the process does."""
        if self._conn is not None and self._loop is asyncio.get_running_loop():
            await self._conn.close()
        self._conn = None


def audit_writer(engine: Engine) -> PostgresAuditWriter | None:
    """The event loop's audit writer on PostgreSQL; None elsewhere (SQLite: ``audit_chain.append`` in a thread)."""
    return PostgresAuditWriter(engine) if engine.dialect.name == "postgresql" else None


def _insert() -> str:
    """The INSERT of a row as ``audit_rows`` makes it: the fields its hash covers but those the trigger assigns
    (id, hashes); its timestamp aware UTC, as UTCDateTime binds it on PostgreSQL."""
    names = [name for name in (*audit_chain.CHAINED, *audit_chain.OPTIONAL) if name != "audit_id"]
    return f"INSERT INTO {api_audit.name} ({', '.join(names)}) VALUES ({', '.join(f'%({n})s' for n in names)})"


AUDIT_CONNECTION = "fase-api-audit"
"""The audit writer's application_name: an operator finds its connections in pg_stat_activity by it."""
INSERT = _insert()


class AuditMiddleware:
    """ASGI middleware writing the audit rows of a request before its response is sent (through `writer` when
    given, else ``audit_chain.append``)."""

    def __init__(self, app, engine: Engine, writer: PostgresAuditWriter | None = None):
        self.app, self.engine, self._postgres = app, engine, writer

    async def write(self, rows: list[dict]) -> None:
        """The request's rows, chained, all or none (a search's rows together)."""
        if self._postgres is not None:
            await self._postgres.write(rows)
        else:
            await anyio.to_thread.run_sync(audit_chain.append, self.engine, rows)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not audited(scope["path"]):
            await self.app(scope, receive, send)
            return
        replaced = False
        started = False

        async def send_audited(message):
            nonlocal replaced, started
            if message["type"] == "http.response.start":
                started = True
                try:
                    await self.write(audit_rows(scope, message["status"]))
                except Exception as exc:  # fail closed: no audit row, no data
                    log.error("audit write failed (%s): answering 503", type(exc).__name__)
                    replaced = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 503,
                            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"cache-control", b"no-store")],
                        }
                    )
                    await send(
                        {"type": "http.response.body", "body": problem_bytes(503, UNAVAILABLE, instance_of(scope))}
                    )
                    return
                headers = message.get("headers", [])
                if not any(name.lower() == b"cache-control" for name, _ in headers):  # ETagged records say their own
                    message["headers"] = [*headers, (b"cache-control", b"no-store")]
            if not replaced:
                await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            if not started:  # the error handler answers 500 outside this middleware: audit it here
                scope.setdefault("state", {}).setdefault("audit_detail", "internal error")
                await self.write(audit_rows(scope, 500))
            raise


def query_audit(
    engine: Engine,
    *,
    client_id: str | None = None,
    beneficiary_id: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict]:
    """Audit rows, newest first, filtered by client, beneficiary (alone, or in a page read's list) and time."""
    q = sa.select(api_audit)
    if client_id:
        q = q.where(api_audit.c.client_id == client_id)
    if beneficiary_id:
        listed = sa.select(audit_index.c.audit_id).where(audit_index.c.beneficiary_id == beneficiary_id)
        q = q.where(sa.or_(api_audit.c.beneficiary_id == beneficiary_id, api_audit.c.audit_id.in_(listed)))
    if since:
        q = q.where(api_audit.c.at >= since)
    q = q.order_by(api_audit.c.audit_id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
