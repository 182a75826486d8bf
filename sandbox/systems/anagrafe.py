"""Anagrafe: the residence registry (anagrafe.db) and its nightly snapshot files in the drop folder.

The registry keeps one row per ``ID_INDIVIDUO`` with the columns of the export. Each night
``write_snapshot`` exports residents plus people who left in the last 24 months to
``anagrafe/ANAGRAFE_RESIDENTI_YYYYMMDD.csv`` (latin-1, ``;``, CRLF, ``#EOF;n`` trailer), written
atomically, or, on request, as a file "still being written" that ``complete_pending`` finishes.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime
from pathlib import Path

from sandbox import clock
from sandbox.messiness import to_latin1
from sandbox.population import Household, Person, base_code, country_name, is_omocode, random_address
from sandbox.systems.base import Day, System

COLUMNS = (
    "ID_INDIVIDUO",
    "COGNOME",
    "NOME",
    "SESSO",
    "DATA_NASCITA",
    "COMUNE_NASCITA",
    "CODICE_FISCALE",
    "CITTADINANZA",
    "ID_FAMIGLIA",
    "RELAZIONE_PARENTELA",
    "TOPONIMO",
    "INDIRIZZO",
    "CIVICO",
    "INTERNO",
    "CAP",
    "DATA_ISCRIZIONE",
    "POSIZIONE",
    "DATA_VARIAZIONE",
)
"""Export columns, in order (anagrafe.md)."""
_DATE_COLUMNS = frozenset({"DATA_NASCITA", "DATA_ISCRIZIONE", "DATA_VARIAZIONE"})
_DATE_IDX = tuple(i for i, c in enumerate(COLUMNS) if c in _DATE_COLUMNS)
_REGISTRY_START = date(1995, 1, 1)


def snapshot_name(day: date) -> str:
    return f"ANAGRAFE_RESIDENTI_{day:%Y%m%d}.csv"


def two_years_before(day: date) -> date:
    return day.replace(year=day.year - 2) if (day.month, day.day) != (2, 29) else date(day.year - 2, 2, 28)


def _field(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return f'"{text}"' if ";" in text else text


def _ddmmyyyy(iso: str | None) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso else ""


def complete_pending(drop: Path) -> list[Path]:
    """Finish files left "still being written" in the drop folder: the full content replaces the truncated file."""
    done = []
    for part in sorted(Path(drop).glob(".ANAGRAFE_RESIDENTI_*.csv.part")):
        target = part.with_name(part.name[1 : -len(".part")])
        os.replace(part, target)
        done.append(target)
    return done


class Anagrafe(System):
    key = "anagrafe"

    def __init__(self, folder: Path, rng, counters, truth, today: date):
        super().__init__(rng, counters, truth)
        self.today = today
        self.folder = Path(folder)
        self.drop = self.folder / "anagrafe"
        self.drop.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.folder / "anagrafe.db")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        cols = ", ".join(f"{c} {'INTEGER PRIMARY KEY' if c == 'ID_INDIVIDUO' else 'TEXT'}" for c in COLUMNS)
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS residenti ({cols})")
        self.conn.execute("CREATE INDEX IF NOT EXISTS ix_residenti_famiglia ON residenti (ID_FAMIGLIA)")
        self._rows: list[tuple] = []

    # --- records ------------------------------------------------------------------------------------------
    def _row(self, p: Person, h: Household, family: str, registered: date, position: str, changed: date) -> tuple:
        clerk, rng = self.clerk, self.rng
        surname, first = clerk.names(p)
        birth = clerk.birth_date(p)
        cf = clerk.codice_fiscale(p, h.members)
        if cf and is_omocode(cf) and rng.random() < 0.3:
            cf = base_code(cf)  # outdated: the registry never updated the omocodia
        place = p.birth_place if not p.foreign_born else country_name(p.birth_country)
        a = h.address
        if a is None:  # add_household gives the homeless an address before listing them
            raise ValueError(f"household {h.household_id} has no address for the registry")
        interno = a.interno if rng.random() > 0.01 else f"SCALA {rng.choice('ABC')};{a.interno or 1}"
        row = (
            self.next_id("ana_individuo"),
            to_latin1(surname),
            to_latin1(first),
            p.sex,
            birth.isoformat() if birth else None,
            place,
            cf,
            country_name(p.citizenship),
            family,
            p.relation,
            a.toponimo,
            a.street,
            a.civico,
            interno,
            a.cap,
            max(registered, p.birth_date).isoformat(),
            position,
            max(changed, p.birth_date).isoformat(),
        )
        self.truth.link(self.key, row[0], p.person_id)
        return row

    def add_household(self, h: Household, start: float, end: float) -> None:
        """Register the household (everyone) if it is known to the registry; homeless people only as untraceable."""
        rng = self.rng
        first_day = datetime.fromtimestamp(start, clock.ROME).date()
        today = datetime.fromtimestamp(end - 1, clock.ROME).date()
        if h.address is None:
            if rng.random() < 0.3:  # a former resident, struck off as untraceable
                h = Household(h.household_id, h.kind, h.origin, random_address(rng), None, True, h.members)
                gone = self._recent_change(today)
                self._rows.append(
                    self._row(
                        h.members[0],
                        h,
                        f"F-{self.next_id('ana_famiglia')}",
                        self._day(rng, first_day, gone),
                        "IRREPERIBILE",
                        gone,
                    )
                )
            return
        if not h.registered:
            return
        family = f"F-{self.next_id('ana_famiglia')}"
        history = end - start > 366 * 86400  # initial load: registered any time since 1995
        registered = self._day(rng, _REGISTRY_START if history else first_day, today)
        x = rng.random()
        household_position = "EMIGRATO" if x < 0.04 else "IRREPERIBILE" if x < 0.055 else "RESIDENTE"
        household_change = self._recent_change(today) if household_position != "RESIDENTE" else registered
        for p in h.members:
            position, changed = household_position, household_change
            if position == "RESIDENTE" and p.age(today) >= 70 and rng.random() < 0.04:
                position, changed = "DECEDUTO", self._recent_change(today)
            self._rows.append(self._row(p, h, family, registered, position, changed))
            if self.clerk.duplicate():
                self._rows.append(self._row(p, h, family, registered, position, changed))

    def _recent_change(self, today: date) -> date:
        """A change of position in the last 24 months; one in five at its far end, soon purged from the export."""
        oldest = two_years_before(today).toordinal() + 1
        if self.rng.random() < 0.2:
            return date.fromordinal(oldest + self.rng.randrange(10))
        return date.fromordinal(self.rng.randrange(oldest, today.toordinal() + 1))

    @staticmethod
    def _day(rng, first: date, last: date) -> date:
        return date.fromordinal(rng.randrange(min(first, last).toordinal(), last.toordinal() + 1))

    def flush(self) -> None:
        with self.conn:
            self.conn.executemany(
                f"INSERT OR REPLACE INTO residenti VALUES ({','.join('?' * len(COLUMNS))})", self._rows
            )
        self._rows.clear()

    # --- snapshot files -----------------------------------------------------------------------------------
    def _exported(self, day: date):
        return self.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM residenti WHERE POSIZIONE = 'RESIDENTE' OR DATA_VARIAZIONE > ? "
            "ORDER BY ID_INDIVIDUO",
            (two_years_before(day).isoformat(),),
        )

    def write_snapshot(self, day: date, incomplete: bool = False) -> Path:
        """Export tonight's file. ``incomplete``: a truncated file without trailer; the full one waits aside."""
        self.flush()
        target = self.drop / snapshot_name(day)
        full = self.drop / f".{target.name}.part"
        n = 0
        with open(full, "w", encoding="latin-1", newline="") as out:
            out.write(";".join(COLUMNS) + "\r\n")
            batch = []
            for row in self._exported(day):
                row = list(row)
                for i in _DATE_IDX:
                    row[i] = _ddmmyyyy(row[i])
                batch.append(";".join(map(_field, row)))
                n += 1
                if len(batch) >= 5000:
                    out.write("\r\n".join(batch) + "\r\n")
                    batch.clear()
            if batch:
                out.write("\r\n".join(batch) + "\r\n")
            out.write(f"#EOF;{n}\r\n")
        if not incomplete:
            os.replace(full, target)
            return target
        data = full.read_bytes()
        cut = data.rfind(b"\r\n", 0, max(len(data) * 2 // 3, 1))
        target.write_bytes(data[: cut + 2 + 17])  # part of a line, as a writer caught mid-way
        return target

    # --- daily changes ------------------------------------------------------------------------------------
    def advance(self, day: Day) -> dict[str, int]:
        self.flush()
        rng, today = day.rng, day.day
        iso = today.isoformat()
        resident_ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT ID_INDIVIDUO FROM residenti WHERE POSIZIONE = 'RESIDENTE' ORDER BY ID_INDIVIDUO"
            )
        ]
        families = [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT ID_FAMIGLIA FROM residenti WHERE POSIZIONE = 'RESIDENTE' ORDER BY ID_FAMIGLIA"
            )
        ]
        moved = rng.sample(families, day.count(len(families), 0.002))
        for family in moved:
            members = [
                r[0]
                for r in self.conn.execute(
                    "SELECT ID_INDIVIDUO FROM residenti WHERE ID_FAMIGLIA = ? ORDER BY ID_INDIVIDUO", (family,)
                )
            ]
            a = random_address(rng)
            household = day.population.household_of(self.truth.person_ids(self.key, members[:1]))[0]
            day.population.move(household, a)
            with self.conn:
                self.conn.execute(
                    "UPDATE residenti SET TOPONIMO=?, INDIRIZZO=?, CIVICO=?, INTERNO=?, CAP=?, "
                    "DATA_ISCRIZIONE=? WHERE ID_FAMIGLIA=?",
                    (a.toponimo, a.street, a.civico, a.interno, a.cap, iso, family),
                )
        left = rng.sample(resident_ids, day.count(len(resident_ids), 0.0005))
        with self.conn:
            self.conn.executemany(
                "UPDATE residenti SET POSIZIONE=?, DATA_VARIAZIONE=? WHERE ID_INDIVIDUO=?",
                [(rng.choice(("EMIGRATO", "EMIGRATO", "DECEDUTO", "IRREPERIBILE")), iso, i) for i in left],
            )
        before = self.counters["ana_individuo"]
        start, end = day.bounds
        for h in day.new_households:
            self.add_household(h, start, end)
        self.flush()
        cutoff, previous = (
            two_years_before(today).isoformat(),
            two_years_before(date.fromordinal(today.toordinal() - 1)),
        )
        purged = self.conn.execute(
            "SELECT COUNT(*) FROM residenti WHERE POSIZIONE <> 'RESIDENTE' AND DATA_VARIAZIONE > ? "
            "AND DATA_VARIAZIONE <= ?",
            (previous.isoformat(), cutoff),
        ).fetchone()[0]
        return {
            "families_moved": len(moved),
            "positions_changed": len(left),
            "registered": self.counters["ana_individuo"] - before,
            "purged": purged,
        }

    def counts(self) -> dict[str, int]:
        """Rows of today's export (the registry also keeps people already purged from it)."""
        self.flush()
        return {
            "residenti": self.conn.execute(
                "SELECT COUNT(*) FROM residenti WHERE POSIZIONE = 'RESIDENTE' OR DATA_VARIAZIONE > ?",
                (two_years_before(self.today).isoformat(),),
            ).fetchone()[0]
        }

    def close(self) -> None:
        super().close()
        self.conn.close()
