"""truth.db: the ground truth, kept apart from the systems' data.

``truth(system, source_person_id, person_id)`` maps every source person record (the system's
own id as text) to the true person; ``person`` holds the true attributes and household id.
Matching evaluation reads it with ``source_person_map`` / ``true_pairs``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sandbox.popstore import PERSON_DDL, person_row
from sandbox.population import Person


class TruthWriter:
    """Buffered writer of truth.db."""

    def __init__(self, folder: str | Path):
        self.conn = sqlite3.connect(Path(folder) / "truth.db")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS truth (system TEXT NOT NULL, source_person_id TEXT NOT NULL, "
            "person_id INTEGER NOT NULL, PRIMARY KEY (system, source_person_id))"
        )
        self.conn.execute(PERSON_DDL)
        self._links: list[tuple[str, str, int]] = []
        self._people: list[tuple] = []

    def link(self, system: str, source_person_id, person_id: int) -> None:
        self._links.append((system, str(source_person_id), person_id))

    def people(self, persons: Iterable[Person]) -> None:
        """Record (or refresh) true people."""
        self._people.extend(person_row(p) for p in persons)

    def flush(self) -> None:
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO truth VALUES (?, ?, ?)", self._links)
            self.conn.executemany(f"INSERT OR REPLACE INTO person VALUES ({','.join('?' * 15)})", self._people)
        self._links.clear()
        self._people.clear()

    def person_ids(self, system: str, source_ids: Iterable) -> list[int]:
        """True person of each given source record (flushes first)."""
        self.flush()
        q = "SELECT person_id FROM truth WHERE system = ? AND source_person_id = ?"
        return [self.conn.execute(q, (system, str(s))).fetchone()[0] for s in source_ids]

    def source_ids(self, system: str, person_ids: Iterable[int]) -> list[str]:
        """Source record ids of the given people in one system, ordered (flushes first)."""
        self.flush()
        out: list[str] = []
        q = "SELECT source_person_id FROM truth WHERE system = ? AND person_id = ? ORDER BY source_person_id"
        for pid in person_ids:
            out.extend(r[0] for r in self.conn.execute(q, (system, pid)))
        return out

    def close(self) -> None:
        self.flush()
        self.conn.close()


def source_person_map(folder: str | Path, system: str | None = None) -> dict[tuple[str, str], int]:
    """(system, source_person_id) -> true person_id, for one system or all."""
    with sqlite3.connect(Path(folder) / "truth.db") as conn:
        q = "SELECT system, source_person_id, person_id FROM truth"
        args: tuple[str, ...] = ()
        if system:
            q, args = q + " WHERE system = ?", (system,)
        return {(s, sid): pid for s, sid, pid in conn.execute(q, args)}


def record_truth(folder: str | Path) -> dict[str, int]:
    """Record key "system:source_person_id" -> true person_id (the truth the linkage is scored against)."""
    return {f"{s}:{sid}": pid for (s, sid), pid in source_person_map(folder).items()}


def true_pairs(folder: str | Path) -> set[frozenset[tuple[str, str]]]:
    """Every pair of source person records that belong to the same true person (for matching evaluation)."""
    by_person: dict[int, list[tuple[str, str]]] = {}
    for key, pid in sorted(source_person_map(folder).items()):
        by_person.setdefault(pid, []).append(key)
    return {frozenset((a, b)) for recs in by_person.values() for i, a in enumerate(recs) for b in recs[i + 1 :]}
