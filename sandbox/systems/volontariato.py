"""Volontariato: people helped by or volunteering in partner associations (`anagrafiche`, `servizi`).

Any SQLAlchemy URL (SQLite file by default, MariaDB in production). ``ultima_modifica`` is
naive Europe/Rome wall-clock time, so on 2026-10-25 the 02:00-03:00 hour repeats. Rows are
deleted physically.
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox import clock, places
from sandbox.population import Household, Person
from sandbox.systems.base import Day, System, make_engine

metadata = sa.MetaData()
anagrafiche = sa.Table(
    "anagrafiche",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("nominativo", sa.String(200), nullable=False),
    sa.Column("data_nascita", sa.Date, nullable=True),
    sa.Column("codice_fiscale", sa.String(16), nullable=True),
    sa.Column("telefono", sa.String(40), nullable=True),
    sa.Column("email", sa.String(120), nullable=True),
    sa.Column("comune_residenza", sa.String(80), nullable=True),
    sa.Column("ultima_modifica", sa.DateTime, nullable=False),
)
servizi = sa.Table(
    "servizi",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("anagrafica_id", sa.Integer, nullable=False, index=True),
    sa.Column("associazione", sa.String(120), nullable=False),
    sa.Column("ruolo", sa.String(20), nullable=False),
    sa.Column("tipo_servizio", sa.String(40), nullable=False),
    sa.Column("data_inizio", sa.Date, nullable=False),
    sa.Column("data_fine", sa.Date, nullable=True),
    sa.Column("ultima_modifica", sa.DateTime, nullable=False),
)
BENEFICIARY_SERVICES = ("pacco_alimentare", "mensa", "sportello_ascolto", "accompagnamento", "guardaroba")
ALL_SERVICES = BENEFICIARY_SERVICES + ("doposcuola",)
_HOMELESS_RESIDENCE = ("senza fissa dimora", "SFD", "S.F.D.", None)


class Volontariato(System):
    key = "volontariato"

    def __init__(self, url: str, rng, counters, truth):
        super().__init__(rng, counters, truth)
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        self._people: list[dict] = []
        self._services: list[dict] = []

    def _nominativo(self, p: Person) -> str:
        surname, first = self.clerk.names(p)
        x = self.rng.random()
        if x < 0.7:
            return f"{surname} {first}"
        return f"{first} {surname}".title() if x < 0.9 else f"{surname} {first}".title()

    def _residence(self, h: Household) -> str | None:
        rng = self.rng
        if h.address is None:
            return rng.choice(_HOMELESS_RESIDENCE)
        x = rng.random()
        if x < 0.8:
            return rng.choice(("Firenze", "FIRENZE", "firenze", "Firenze (FI)", "FI"))
        return rng.choice(places.OTHER_COMUNI).title() if x < 0.9 else None

    def _anagrafica(self, p: Person, h: Household, ts: float) -> dict:
        clerk = self.clerk
        row = {
            "id": self.next_id("vol_anagrafica"),
            "nominativo": self._nominativo(p)[:200],
            "data_nascita": clerk.birth_date(p),
            "codice_fiscale": clerk.codice_fiscale(p, h.members),
            "telefono": clerk.phone(p.phone),
            "email": p.email if self.rng.random() < 0.5 else None,
            "comune_residenza": self._residence(h),
            "ultima_modifica": clock.naive_local(ts),
        }
        self.truth.link(self.key, row["id"], p.person_id)
        return row

    def _service(self, anagrafica_id: int, role: str, kind: str, start: float, end: float) -> dict:
        rng = self.rng
        t = clock.random_ts(rng, start, end)
        first = clock.naive_local(t)
        finished = rng.random() < 0.4 and end - t > 30 * 86400
        last = clock.random_ts(rng, t + 86400, end) if finished else t
        return {
            "id": self.next_id("vol_servizio"),
            "anagrafica_id": anagrafica_id,
            "associazione": rng.choice(places.ASSOCIATIONS),
            "ruolo": role,
            "tipo_servizio": kind,
            "data_inizio": first.date(),
            "data_fine": clock.naive_local(last).date() if finished else None,
            "ultima_modifica": clock.naive_local(last),
        }

    def _enrol(self, p: Person, h: Household, role: str, start: float, end: float, age: int) -> None:
        rng = self.rng
        kinds = ("doposcuola",) if age < 15 else ALL_SERVICES if role == "volontario" else BENEFICIARY_SERVICES
        for _ in range(2 if self.clerk.duplicate() else 1):
            created = clock.random_ts(rng, start, end)
            row = self._anagrafica(p, h, clock.random_ts(rng, created, end))
            self._people.append(row)
            self._services.extend(
                self._service(row["id"], role, rng.choice(kinds), created, end) for _ in range(rng.choice((1, 1, 2, 3)))
            )

    def add_household(self, h: Household, start: float, end: float) -> None:
        """People helped (more often homeless and foreign-born, children at after-school) and volunteers."""
        rng = self.rng
        today = clock.naive_local(end - 1).date()
        for p in h.members:
            age = p.age(today)
            if age < 6:
                continue
            if age < 15:
                chance = 0.15 if p.citizenship != "IT" else 0.04
            else:
                chance = 0.6 if h.address is None else 0.22 if p.foreign_born else 0.07
            if rng.random() < chance:
                self._enrol(p, h, "beneficiario", start, end, age)
            elif 20 <= age <= 75 and not p.foreign_born and h.registered and rng.random() < 0.03:
                self._enrol(p, h, "volontario", start, end, age)

    def flush(self) -> None:
        if self._people or self._services:
            with self.engine.begin() as conn:
                if self._people:
                    conn.execute(anagrafiche.insert(), self._people)
                if self._services:
                    conn.execute(servizi.insert(), self._services)
        self._people.clear()
        self._services.clear()

    # --- daily changes ------------------------------------------------------------------------------------
    def advance(self, day: Day) -> dict[str, int]:
        rng = day.rng
        self.flush()
        with self.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(sa.select(anagrafiche.c.id).order_by(anagrafiche.c.id))]
            open_services = [
                r[0]
                for r in conn.execute(
                    sa.select(servizi.c.id).where(servizi.c.data_fine.is_(None)).order_by(servizi.c.id)
                )
            ]
            gone = rng.sample(ids, day.count(len(ids), 0.002))
            conn.execute(servizi.delete().where(servizi.c.anagrafica_id.in_(gone)))
            conn.execute(anagrafiche.delete().where(anagrafiche.c.id.in_(gone)))
            dropped = rng.sample(open_services, day.count(len(open_services), 0.002))
            conn.execute(servizi.delete().where(servizi.c.id.in_(dropped)))
            left = set(gone)
            alive = [i for i in ids if i not in left]
            rephoned = rng.sample(alive, day.count(len(alive), 0.003))
            people = self.truth.person_ids(self.key, rephoned)
            households = day.population.load(day.population.household_of(people))
            for aid, pid, h in zip(rephoned, people, households):
                phone = day.new_phone(next(m for m in h.members if m.person_id == pid))
                conn.execute(
                    anagrafiche.update()
                    .where(anagrafiche.c.id == aid)
                    .values(telefono=self.clerk.phone(phone), ultima_modifica=clock.naive_local(day.ts()))
                )
            dropped_set = set(dropped)
            ended = rng.sample([s for s in open_services if s not in dropped_set], day.count(len(open_services), 0.005))
            for sid in ended:
                conn.execute(
                    servizi.update()
                    .where(servizi.c.id == sid)
                    .values(data_fine=day.day, ultima_modifica=clock.naive_local(day.ts()))
                )
        before = self.counters["vol_anagrafica"]
        start, end = day.bounds
        for h in day.new_households:
            self.add_household(h, start, end)
        self.flush()
        return {
            "anagrafiche_deleted": len(gone),
            "servizi_deleted": len(dropped),
            "anagrafiche_updated": len(rephoned),
            "servizi_ended": len(ended),
            "anagrafiche_added": self.counters["vol_anagrafica"] - before,
        }

    def counts(self) -> dict[str, int]:
        self.flush()
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (anagrafiche, servizi)
            }

    def close(self) -> None:
        super().close()
        self.engine.dispose()
