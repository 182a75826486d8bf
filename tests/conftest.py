"""Shared fixtures: fresh PostgreSQL / MariaDB databases per test session, temp warehouses."""

from __future__ import annotations

import pytest

from tests.servers import mariadb_database, postgres_database


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database for this test session (dropped at the end)."""
    yield from postgres_database()


@pytest.fixture(scope="session")
def mariadb_url():
    """URL of a fresh MariaDB database for this test session (dropped at the end)."""
    yield from mariadb_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    """A warehouse URL on each supported backend: a temp SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def source_pg_url():
    """A fresh PostgreSQL database for one test that plays a source system (dropped afterwards)."""
    yield from postgres_database("fase_src")


@pytest.fixture
def source_mariadb_url():
    """A fresh MariaDB database for one test that plays a source system (dropped afterwards)."""
    yield from mariadb_database("fase_src")
