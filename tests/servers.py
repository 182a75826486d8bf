"""Fresh databases on the machine's real servers for tests; skip only when unreachable outside CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("FASE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ADMIN_URL = os.environ.get("FASE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip when the server is down, unless CI is set: there an unreachable server is a failure."""
    if _reachable(host, port):
        return
    message = f"{name} at {host}:{port} is unreachable"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI=true: the server is required)")
    pytest.skip(message)


@contextmanager
def fresh_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create an empty database on the server, yield its URL, drop it afterwards."""
    url = sa.make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    q = (lambda n: f'"{n}"') if url.get_backend_name() == "postgresql" else (lambda n: f"`{n}`")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {q(name)}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def postgres_database(prefix: str = "fase_test") -> Iterator[str]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    with fresh_database(PG_ADMIN_URL, prefix) as url:
        yield url


def mariadb_database(prefix: str = "fase_test") -> Iterator[str]:
    require_server("MariaDB", "127.0.0.1", 3306)
    with fresh_database(MARIADB_ADMIN_URL, prefix) as url:
        yield url
