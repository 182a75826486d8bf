"""Backing store of the HTTP simulators (SAT, POLIS): one SQLite file per system, one table per collection.

Each row holds the item exactly as the API serves it (JSON text) plus the sort key the API
orders by: ``sort_ts`` (UTC epoch seconds of ``updated_at``/``modified``) and ``id``.
The generator and ``advance`` write here; the servers read here at every request, so a
change made while a client pages is seen by the next page, as in the real systems.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

COLLECTIONS = {
    "sat": {"ospiti": ("id_ospite", "updated_at"), "accoglienze": ("id_accoglienza", "updated_at")},
    "polis": {"participants": ("id", "modified"), "placements": ("id", "modified")},
}
"""system -> collection -> (id field, timestamp field)."""


def _sort_id(value) -> str:
    # Integer ids sort numerically, UUIDs as text: zero-pad integers so one TEXT column serves both.
    return f"{value:020d}" if isinstance(value, int) else str(value)


class _Connection(sqlite3.Connection):
    """A plain sqlite3 connection that can be weakly referenced (the base type cannot)."""


class HttpStore:
    """One system's collections. Safe to share between threads: each thread gets its own connection."""

    def __init__(self, path: str | Path, system: str):
        if system not in COLLECTIONS:
            raise ValueError(f"no HTTP collections for system {system!r}")
        self.path = Path(path)
        self.system = system
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._open: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._open_lock = threading.Lock()
        conn = self._conn
        conn.execute("PRAGMA journal_mode=WAL")
        for coll in COLLECTIONS[system]:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {coll} (id TEXT PRIMARY KEY, sort_ts REAL NOT NULL, item TEXT NOT NULL)"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS ix_{coll}_sort ON {coll} (sort_ts, id)")
        conn.commit()

    @property
    def _conn(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use (released when the thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, factory=_Connection)
            self._local.conn = conn
            with self._open_lock:
                self._open.add(conn)
        return conn

    def _spec(self, collection: str) -> tuple[str, str]:
        try:
            return COLLECTIONS[self.system][collection]
        except KeyError:
            raise ValueError(f"{self.system} has no collection {collection!r}") from None

    def upsert(self, collection: str, items: Iterable[dict]) -> int:
        """Insert or replace items (dicts in the API's exact format); returns how many were written."""
        id_field, ts_field = self._spec(collection)
        rows = [
            (
                _sort_id(it[id_field]),
                datetime.fromisoformat(it[ts_field]).timestamp(),
                json.dumps(it, ensure_ascii=False),
            )
            for it in items
        ]
        with self._conn:
            self._conn.executemany(f"INSERT OR REPLACE INTO {collection} (id, sort_ts, item) VALUES (?, ?, ?)", rows)
        return len(rows)

    def get(self, collection: str, item_id) -> dict | None:
        self._spec(collection)
        row = self._conn.execute(f"SELECT item FROM {collection} WHERE id = ?", (_sort_id(item_id),)).fetchone()
        return json.loads(row[0]) if row else None

    def page_after(
        self,
        collection: str,
        since_ts: float | None,
        inclusive: bool,
        after_key: tuple[float, str] | None,
        limit: int,
        offset: int = 0,
    ) -> list[dict]:
        """Items ordered by (sort_ts, id) with sort_ts >= / > since_ts, strictly after after_key, paged."""
        self._spec(collection)
        where: list[str] = []
        args: list[float | str] = []
        if since_ts is not None:
            where.append("sort_ts >= ?" if inclusive else "sort_ts > ?")
            args.append(since_ts)
        if after_key is not None:
            where.append("(sort_ts > ? OR (sort_ts = ? AND id > ?))")
            args += [after_key[0], after_key[0], after_key[1]]
        sql = f"SELECT item FROM {collection}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY sort_ts, id LIMIT ? OFFSET ?"
        return [json.loads(r[0]) for r in self._conn.execute(sql, (*args, limit, offset))]

    def count(self, collection: str, since_ts: float | None = None, inclusive: bool = True) -> int:
        self._spec(collection)
        if since_ts is None:
            return self._conn.execute(f"SELECT COUNT(*) FROM {collection}").fetchone()[0]
        op = ">=" if inclusive else ">"
        return self._conn.execute(f"SELECT COUNT(*) FROM {collection} WHERE sort_ts {op} ?", (since_ts,)).fetchone()[0]

    def iter_all(self, collection: str) -> Iterator[dict]:
        self._spec(collection)
        for (item,) in self._conn.execute(f"SELECT item FROM {collection} ORDER BY sort_ts, id"):
            yield json.loads(item)

    def sort_key(self, collection: str, item: dict) -> tuple[float, str]:
        id_field, ts_field = self._spec(collection)
        return datetime.fromisoformat(item[ts_field]).timestamp(), _sort_id(item[id_field])

    def close(self) -> None:
        """Close every thread's connection."""
        with self._open_lock:
            conns, self._open = list(self._open), weakref.WeakSet()
        for conn in conns:
            conn.close()
