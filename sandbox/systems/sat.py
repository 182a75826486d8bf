"""S.A.T.: guests of temporary housing (`ospiti`) and their stays (`accoglienze`), in sat.db via HttpStore.

Households enter together and share a ``nucleo``; mothers with children (and a few single
women) in protected shelters are ``riservato``. Deleted guests and stays stay in the store as
tombstones (``deleted: true``) with a moved ``updated_at``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

from sandbox import clock, places
from sandbox.http_store import HttpStore
from sandbox.population import Household, Person, country_name
from sandbox.systems.base import Day, System

EXIT_REASONS = ("autonomia_abitativa", "alloggio_erp", "rientro_famiglia", "trasferimento", "allontanamento", "altro")
_PROTECTED = [s for s in places.SAT_STRUCTURES if s[1] == "struttura_protetta"]
_OPEN = [s for s in places.SAT_STRUCTURES if s[1] != "struttura_protetta"]
_HISTORY_START = datetime(2021, 1, 1, tzinfo=clock.ROME).timestamp()


def _local_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, clock.ROME).date()


class Sat(System):
    key = "sat"

    def __init__(self, folder: Path, rng, counters, truth):
        super().__init__(rng, counters, truth)
        self.path = Path(folder) / "sat.db"
        self.store = HttpStore(self.path, "sat")
        self._ospiti: list[dict] = []
        self._stays: list[dict] = []

    # --- records ------------------------------------------------------------------------------------------
    def _case(self, text: str) -> str:
        return text.title() if self.rng.random() < 0.6 else text

    def _ospite(self, p: Person, h: Household, nucleo: str | None, riservato: bool, ts: float) -> dict:
        rng, clerk = self.rng, self.clerk
        surname, first = clerk.names(p)
        birth = clerk.birth_date(p)
        if p.foreign_born and rng.random() < 0.6:
            place = p.birth_place.title()
        else:
            place = self._case(p.birth_place if not p.foreign_born else country_name(p.birth_country))
        citizenship = country_name(p.citizenship)
        citizenship = rng.choice((citizenship.title(), citizenship, citizenship.lower()))
        item = {
            "id_ospite": self.next_id("sat_ospite"),
            "cognome": self._case(surname),
            "nome": self._case(first),
            "sesso": p.sex if rng.random() > 0.02 else None,
            "data_nascita": birth.isoformat() if birth else None,
            "luogo_nascita": place if rng.random() > 0.05 else None,
            "codice_fiscale": clerk.codice_fiscale(p, h.members),
            "cittadinanza": citizenship if rng.random() > 0.03 else None,
            "telefono": clerk.phone(p.phone),
            "nucleo": nucleo,
            "riservato": riservato,
            "updated_at": clock.iso_local(ts),
            "deleted": False,
        }
        self.truth.link(self.key, item["id_ospite"], p.person_id)
        return item

    def _stay(
        self, id_ospite: int, structure: tuple[str, str, str], entry_ts: float, exit_ts: float | None, updated_ts: float
    ) -> dict:
        return {
            "id_accoglienza": self.next_id("sat_accoglienza"),
            "id_ospite": id_ospite,
            "struttura": structure[0],
            "tipo": structure[1],
            "indirizzo": structure[2],
            "data_ingresso": _local_date(entry_ts).isoformat(),
            "data_uscita": _local_date(exit_ts).isoformat() if exit_ts else None,
            "motivo_uscita": self.rng.choice(EXIT_REASONS) if exit_ts else None,
            "updated_at": clock.iso_local(updated_ts),
            "deleted": False,
        }

    # --- generation ---------------------------------------------------------------------------------------
    def _entry_probability(self, h: Household) -> float:
        p = {"homeless": 0.5, "single_mother": 0.25, "single": 0.06}.get(h.kind, 0.04)
        return p * (1.8 if h.origin != "IT" else 1.0)

    def add_household(self, h: Household, start: float, end: float, force: bool = False) -> None:
        """Maybe bring the household into SAT: its guests and their stays (history, the last maybe ongoing)."""
        rng = self.rng
        if not force and rng.random() >= self._entry_probability(h):
            return
        riservato = (h.kind == "single_mother" and rng.random() < 0.35) or (
            h.kind == "single" and h.members[0].sex == "F" and rng.random() < 0.05
        )
        nucleo = f"N-{self.next_id('sat_nucleo')}" if len(h.members) > 1 or rng.random() < 0.3 else None
        ongoing_end = end - 1
        youngest = max(m.birth_date for m in h.members)
        start = max(start, datetime(youngest.year, youngest.month, youngest.day, tzinfo=clock.ROME).timestamp())
        t = clock.random_ts(rng, start, max(start + 1, end - 45 * 86400)) if end - start > 90 * 86400 else start
        timeline: list[tuple[tuple, float, float | None]] = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            structure = rng.choice(_PROTECTED if riservato else _OPEN)
            exit_ts = t + rng.randrange(20, 500) * 86400
            if exit_ts >= ongoing_end or rng.random() < 0.45:
                timeline.append((structure, t, None))
                break
            timeline.append((structure, t, exit_ts))
            t = exit_ts + rng.randrange(1, 200) * 86400
            if t >= ongoing_end:
                break
        deleted = rng.random() < 0.01
        for p in h.members:
            seen = clock.random_ts(rng, timeline[0][1], end)
            guest = self._ospite(p, h, nucleo, riservato, seen)
            stays = [
                self._stay(
                    guest["id_ospite"],
                    s,
                    entry,
                    exit_ts,
                    min(end - 1, (exit_ts or entry) + rng.randrange(0, 3 * 86400)),
                )
                for s, entry, exit_ts in timeline
            ]
            if deleted:
                for item in [guest, *stays]:
                    item["deleted"] = True
            self._ospiti.append(guest)
            self._stays.extend(stays)
            if self.clerk.duplicate():
                self._ospiti.append(self._ospite(p, h, nucleo, riservato, clock.random_ts(rng, start, end)))

    def flush(self) -> None:
        self.store.upsert("ospiti", self._ospiti)
        self.store.upsert("accoglienze", self._stays)
        self._ospiti.clear()
        self._stays.clear()

    # --- daily changes ------------------------------------------------------------------------------------
    def _items(self, collection: str, where: str) -> list[dict]:
        self.flush()
        with sqlite3.connect(self.path) as conn:
            return [json.loads(r[0]) for r in conn.execute(f"SELECT item FROM {collection} WHERE {where} ORDER BY id")]

    def advance(self, day: Day) -> dict[str, int]:
        rng, changes = day.rng, {}
        live = "json_extract(item, '$.deleted') = 0"
        ongoing = self._items("accoglienze", f"{live} AND json_extract(item, '$.data_uscita') IS NULL")
        exits = rng.sample(ongoing, day.count(len(ongoing), 0.02))
        for stay in exits:
            stay.update(
                data_uscita=day.day.isoformat(),
                motivo_uscita=rng.choice(EXIT_REASONS),
                updated_at=clock.iso_local(day.ts()),
            )
        self.store.upsert("accoglienze", exits)
        changes["stays_ended"] = len(exits)

        start, end = day.bounds
        before = self.counters["sat_accoglienza"]
        for h in day.new_households:
            self.add_household(h, start, end)
        known = set(self.truth_people())
        all_ids = day.population.household_ids()
        for h in day.population.load(rng.sample(all_ids, min(20, len(all_ids)))):
            if not any(m.person_id in known for m in h.members):
                self.add_household(h, start, end, force=rng.random() < 0.2)
        self.flush()
        changes["stays_started"] = self.counters["sat_accoglienza"] - before

        guests = self._items("ospiti", live)
        tombstones = rng.sample(guests, day.count(len(guests), 0.003))
        gone = {g["id_ospite"] for g in tombstones}
        for g in tombstones:
            g.update(deleted=True, updated_at=clock.iso_local(day.ts()))
        stays = [s for s in self._items("accoglienze", live) if s["id_ospite"] in gone]
        for s in stays:
            s.update(deleted=True, updated_at=clock.iso_local(day.ts()))
        self.store.upsert("ospiti", tombstones)
        self.store.upsert("accoglienze", stays)
        changes["ospiti_deleted"], changes["accoglienze_deleted"] = len(tombstones), len(stays)

        alive = [g for g in guests if g["id_ospite"] not in gone]
        fixed = rng.sample(alive, day.count(len(alive), 0.005))
        people = self.truth.person_ids(self.key, [g["id_ospite"] for g in fixed])
        households = day.population.load(day.population.household_of(people))
        for g, pid, h in zip(fixed, people, households):
            p = next(m for m in h.members if m.person_id == pid)
            if rng.random() < 0.5:
                g.update(cognome=p.surname.title(), nome=p.first_name.title())
            else:
                g["telefono"] = self.clerk.phone(day.new_phone(p))
            g["updated_at"] = clock.iso_local(day.ts())
        self.store.upsert("ospiti", fixed)
        changes["ospiti_updated"] = len(fixed)
        return changes

    def truth_people(self) -> list[int]:
        """True people SAT knows (any guest record)."""
        self.truth.flush()
        return [
            r[0]
            for r in self.truth.conn.execute(
                "SELECT DISTINCT person_id FROM truth WHERE system = 'sat' ORDER BY person_id"
            )
        ]

    def counts(self) -> dict[str, int]:
        self.flush()
        return {"ospiti": self.store.count("ospiti"), "accoglienze": self.store.count("accoglienze")}

    def close(self) -> None:
        super().close()
        self.store.close()
