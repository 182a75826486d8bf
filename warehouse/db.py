"""Engines and migrations for the warehouse (SQLite embedded default, PostgreSQL in production).

Alembic is imported only by the functions that migrate or read revisions (it is slow to import, and most
commands only read).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")


class WarehouseUnreachable(RuntimeError):
    """The warehouse's server (or file) cannot be opened; the message names the URL without its password."""

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"cannot reach the warehouse at {url}: {reason}")


class WarehouseNotCurrent(RuntimeError):
    """The warehouse's schema is not the one this code expects (empty, behind or unknown): `fase db upgrade`."""

    def __init__(self, url: str, current: str | None, head: str | None):
        self.url, self.current, self.head = url, current, head
        if current is None:
            state = "has no schema yet"
        elif current not in revisions():
            state = f"is at revision {current}, which this code does not know (a newer fase migrated it)"
        else:
            state = f"is at revision {current}, this code needs {head}"
        super().__init__(f"the warehouse at {url} {state}")


def display_url(engine: Engine) -> str:
    """The engine's URL as it may be shown: the password masked."""
    return engine.url.render_as_string(hide_password=True)


def make_engine(url: str | URL, **kwargs) -> Engine:
    """Create an engine; SQLite files get their folder, WAL, foreign keys and a busy timeout."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 60})
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def check_reachable(engine: Engine) -> None:
    """Open one connection (it stays in the pool for the work that follows); WarehouseUnreachable when it fails."""
    try:
        with engine.connect():
            pass
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise WarehouseUnreachable(display_url(engine), _first_line(exc.orig or exc)) from exc


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (host, port, the refusal): no statement, no parameters, never the password."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)[:300]


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the warehouse schema to `revision` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def revisions() -> dict[str, tuple[str, ...]]:
    """Each migration of this code with the revisions it follows, read from the files' `revision` and
    `down_revision` assignments without importing Alembic or the migrations (checking a schema stays fast)."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value)
        if "revision" in values:
            down = values.get("down_revision")
            found[values["revision"]] = tuple(down) if isinstance(down, (tuple, list)) else ((down,) if down else ())
    return found


def head_revision() -> str | None:
    """The newest migration of this code (what `upgrade` brings a warehouse to): the one no other follows.
    A test holds it equal to Alembic's own answer."""
    known = revisions()
    heads = sorted(set(known) - {down for downs in known.values() for down in downs})
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {', '.join(heads)}")
    return heads[0] if heads else None


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the warehouse's alembic_version table (None when it has none), in plain SQL."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def require_current(engine: Engine) -> None:
    """WarehouseNotCurrent unless the warehouse is at this code's head revision (nothing is migrated here)."""
    current, head = stored_revision(engine), head_revision()
    if current != head:
        raise WarehouseNotCurrent(display_url(engine), current, head)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
