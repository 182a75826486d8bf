"""population.db: the true households and people the generator keeps between simulated days."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sandbox.population import Address, Household, Person

PERSON_COLUMNS = (
    "person_id",
    "household_id",
    "surname",
    "first_name",
    "sex",
    "birth_date",
    "birth_place",
    "birth_country",
    "citizenship",
    "relation",
    "codice_fiscale",
    "provisional_code",
    "phone",
    "email",
    "iban",
)
PERSON_DDL = (
    "CREATE TABLE IF NOT EXISTS person (person_id INTEGER PRIMARY KEY, household_id INTEGER NOT NULL, "
    "surname TEXT, first_name TEXT, sex TEXT, birth_date TEXT, birth_place TEXT, birth_country TEXT, "
    "citizenship TEXT, relation TEXT, codice_fiscale TEXT, provisional_code TEXT, phone TEXT, "
    "email TEXT, iban TEXT)"
)
_HOUSEHOLD_COLUMNS = (
    "household_id",
    "kind",
    "origin",
    "toponimo",
    "street",
    "civico",
    "interno",
    "cap",
    "phone",
    "registered",
)


def person_row(p: Person) -> tuple:
    """A person as a row of PERSON_COLUMNS (dates as ISO text)."""
    return (
        p.person_id,
        p.household_id,
        p.surname,
        p.first_name,
        p.sex,
        p.birth_date.isoformat(),
        p.birth_place,
        p.birth_country,
        p.citizenship,
        p.relation,
        p.codice_fiscale,
        p.provisional_code,
        p.phone,
        p.email,
        p.iban,
    )


def _person(row: tuple) -> Person:
    (
        pid,
        hid,
        surname,
        first,
        sex,
        birth,
        place,
        country,
        citizenship,
        relation,
        cf,
        provisional,
        phone,
        email,
        iban,
    ) = row
    return Person(
        pid,
        hid,
        surname,
        first,
        sex,
        date.fromisoformat(birth),
        place,
        country,
        citizenship,
        relation,
        cf,
        provisional,
        phone,
        email,
        iban,
    )


class PopulationStore:
    """Read and write the true population of a world folder."""

    def __init__(self, folder: str | Path):
        self.conn = sqlite3.connect(Path(folder) / "population.db")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS household (household_id INTEGER PRIMARY KEY, kind TEXT, origin TEXT, "
            "toponimo TEXT, street TEXT, civico TEXT, interno TEXT, cap TEXT, phone TEXT, registered INTEGER)"
        )
        self.conn.execute(PERSON_DDL)
        self.conn.execute("CREATE INDEX IF NOT EXISTS ix_person_household ON person (household_id)")

    def save(self, households: Iterable[Household]) -> None:
        """Insert or replace households with their members."""
        hrows: list[tuple] = []
        prows: list[tuple] = []
        for h in households:
            a = h.address
            hrows.append(
                (
                    h.household_id,
                    h.kind,
                    h.origin,
                    a and a.toponimo,
                    a and a.street,
                    a and a.civico,
                    a and a.interno,
                    a and a.cap,
                    h.phone,
                    int(h.registered),
                )
            )
            prows.extend(person_row(p) for p in h.members)
        with self.conn:
            self.conn.executemany(f"INSERT OR REPLACE INTO household VALUES ({','.join('?' * 10)})", hrows)
            self.conn.executemany(f"INSERT OR REPLACE INTO person VALUES ({','.join('?' * 15)})", prows)

    def load(self, household_ids: Iterable[int]) -> list[Household]:
        """Households (with members, ordered by person_id) in the order of the ids given."""
        out = []
        for hid in household_ids:
            row = self.conn.execute(
                f"SELECT {','.join(_HOUSEHOLD_COLUMNS)} FROM household WHERE household_id = ?", (hid,)
            ).fetchone()
            _, kind, origin, top, street, civico, interno, cap, phone, registered = row
            address = Address(top, street, civico, interno, cap) if top else None
            h = Household(hid, kind, origin, address, phone, bool(registered))
            h.members = [
                _person(r)
                for r in self.conn.execute(
                    f"SELECT {','.join(PERSON_COLUMNS)} FROM person WHERE household_id = ? ORDER BY person_id", (hid,)
                )
            ]
            out.append(h)
        return out

    def move(self, household_id: int, a: Address) -> None:
        """The household now lives at ``a``."""
        with self.conn:
            self.conn.execute(
                "UPDATE household SET toponimo=?, street=?, civico=?, interno=?, cap=? WHERE household_id=?",
                (a.toponimo, a.street, a.civico, a.interno, a.cap, household_id),
            )

    def set_phone(self, person_id: int, phone: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE person SET phone=? WHERE person_id=?", (phone, person_id))

    def household_of(self, person_ids: Iterable[int]) -> list[int]:
        """The household ids of the given people, in order."""
        return [
            self.conn.execute("SELECT household_id FROM person WHERE person_id = ?", (pid,)).fetchone()[0]
            for pid in person_ids
        ]

    def household_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT household_id FROM household ORDER BY household_id")]

    def codes(self) -> list[str]:
        """Every codice fiscale issued so far (to keep omocodia consistent across processes)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT codice_fiscale FROM person WHERE codice_fiscale IS NOT NULL ORDER BY person_id"
            )
        ]

    def count(self) -> tuple[int, int]:
        """(households, people)."""
        return (
            self.conn.execute("SELECT COUNT(*) FROM household").fetchone()[0],
            self.conn.execute("SELECT COUNT(*) FROM person").fetchone()[0],
        )

    def close(self) -> None:
        self.conn.close()
