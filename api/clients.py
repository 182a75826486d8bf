"""API clients and their keys: create, list, revoke, verify.

A key is ``fase_<prefix>.<secret>``: a 12-hex-digit prefix, stored in clear to find the client,
and a 256-bit random secret. Only a salted scrypt hash of the whole key is stored
(``scrypt$n$r$p$salt$hash``; n=2^14, r=8, p=1). scrypt needs no extra server secret to manage
(unlike an HMAC pepper) and makes a copied api_client table useless for guessing keys; its cost
(~50 ms) is paid once per key per process, since a verified key is remembered as a SHA-256 digest
next to the stored hash it was checked against. The client row is re-read at most every
CLIENT_TTL seconds: a revoked key stops working within that time in every process.
Keys are printed once at creation and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.models.access import ACCESS_TABLES, ROLES
from warehouse.types import utcnow

GRANTS = ("confidential",)
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
CLIENT_TTL = 2.0
_KEY_RE = re.compile(r"^fase_([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$")

api_client = ACCESS_TABLES["api_client"]


@dataclass(frozen=True)
class Client:
    """An API client as the request handlers see it (never its key hash)."""

    client_id: str
    name: str
    role: str
    purpose: str
    grants: tuple[str, ...]
    scope_beneficiaries: frozenset[str] | None
    scope_systems: frozenset[str] | None
    rate_limit_per_minute: int

    @property
    def scoped(self) -> bool:
        return self.scope_beneficiaries is not None or self.scope_systems is not None

    def may_see(self, beneficiary_ids: set[str], systems: set[str]) -> bool:
        """Whether a beneficiary (its current and former ids, the systems that know it) is in scope."""
        if not self.scoped:
            return True
        return bool(
            (self.scope_beneficiaries or frozenset()) & beneficiary_ids or (self.scope_systems or frozenset()) & systems
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_key(key: str) -> str:
    """Salted scrypt hash of a key, self-describing (parameters included)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode(), salt=salt, **SCRYPT, dklen=32)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def check_key(key: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        found = hashlib.scrypt(key.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


def _client(row: sa.Row[Any]) -> Client:
    scope = row.scope or {}
    ids, systems = scope.get("beneficiary_ids"), scope.get("systems")
    return Client(
        row.client_id,
        row.name,
        row.role,
        row.purpose,
        tuple(row.grants or ()),
        frozenset(ids) if ids is not None else None,
        frozenset(systems) if systems is not None else None,
        row.rate_limit_per_minute,
    )


def create_client(
    engine: Engine,
    name: str,
    role: str,
    purpose: str,
    *,
    grants: tuple[str, ...] = (),
    beneficiary_ids: tuple[str, ...] = (),
    systems: tuple[str, ...] = (),
    rate_limit_per_minute: int = 600,
) -> tuple[Client, str]:
    """Register a client; returns it and its key (shown once, only its hash is stored)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if unknown := set(grants) - set(GRANTS):
        raise ValueError(f"unknown grant(s) {', '.join(sorted(unknown))}; expected one of {', '.join(GRANTS)}")
    if not purpose.strip():
        raise ValueError("a purpose is required (it is recorded with every read)")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = f"fase_{prefix}.{secret}"
    scope = {}
    if beneficiary_ids:
        scope["beneficiary_ids"] = sorted(set(beneficiary_ids))
    if systems:
        scope["systems"] = sorted(set(systems))
    values = dict(
        client_id=f"cl_{uuid.uuid4().hex[:16]}",
        name=name,
        role=role,
        purpose=purpose.strip(),
        key_prefix=prefix,
        key_hash=hash_key(key),
        grants=sorted(set(grants)),
        scope=scope or None,
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=utcnow(),
        revoked_at=None,
    )
    with engine.begin() as conn:
        conn.execute(api_client.insert().values(**values))
        row = conn.execute(sa.select(api_client).where(api_client.c.client_id == values["client_id"])).one()
    return _client(row), key


def list_clients(engine: Engine) -> list[dict]:
    """Every client with its status, without key hashes."""
    cols = [c for c in api_client.c if c.name != "key_hash"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(*cols).order_by(api_client.c.created_at))]


def revoke_client(engine: Engine, client_id: str) -> bool:
    """Revoke a client's key; False when there is no such active client."""
    with engine.begin() as conn:
        done = conn.execute(
            api_client.update()
            .where(api_client.c.client_id == client_id, api_client.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    return done.rowcount == 1


class KeyVerifier:
    """Finds the active client of a presented key; remembers verified keys (and their client row for
    CLIENT_TTL seconds) so that most requests need neither scrypt nor a query."""

    def __init__(self, engine: Engine, clock=time.monotonic):
        self.engine, self._clock = engine, clock
        self._verified: dict[str, tuple[str, bytes]] = {}  # prefix -> (stored hash, sha256 of the key)
        self._rows: dict[str, tuple[float, sa.Row[Any] | None]] = {}  # prefix -> (read at, row or None)
        self._lock = threading.Lock()

    def _fresh(self, prefix: str) -> tuple[bool, sa.Row[Any] | None]:
        with self._lock:
            cached = self._rows.get(prefix)
        if cached is not None and self._clock() - cached[0] < CLIENT_TTL:
            return True, cached[1]
        return False, None

    def cached(self, key: str) -> Client | None:
        """The client of an already verified key whose row is fresh: no I/O, no scrypt (else None)."""
        m = _KEY_RE.match(key)
        if m is None:
            return None
        fresh, row = self._fresh(m.group(1))
        if not fresh or row is None:
            return None
        with self._lock:
            known = self._verified.get(m.group(1))
        if known and known[0] == row.key_hash and hmac.compare_digest(known[1], hashlib.sha256(key.encode()).digest()):
            return _client(row)
        return None

    def _row(self, prefix: str) -> sa.Row[Any] | None:
        fresh, row = self._fresh(prefix)
        if fresh:
            return row
        now = self._clock()
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(api_client).where(api_client.c.key_prefix == prefix, api_client.c.revoked_at.is_(None))
            ).first()
        with self._lock:
            self._rows[prefix] = (now, row)
        return row

    def verify(self, key: str) -> Client | None:
        m = _KEY_RE.match(key)
        if not m:
            return None
        prefix = m.group(1)
        row = self._row(prefix)
        if row is None:
            return None
        digest = hashlib.sha256(key.encode()).digest()
        with self._lock:
            known = self._verified.get(prefix)
        if known is not None and known[0] == row.key_hash and hmac.compare_digest(known[1], digest):
            return _client(row)
        if not check_key(key, row.key_hash):
            return None
        with self._lock:
            self._verified[prefix] = (row.key_hash, digest)
        return _client(row)


def active_client(engine: Engine, client_id: str) -> Client | None:
    """The client `client_id` while its key is not revoked (a console session is checked against it)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(api_client).where(api_client.c.client_id == client_id, api_client.c.revoked_at.is_(None))
        ).first()
    return _client(row) if row else None
