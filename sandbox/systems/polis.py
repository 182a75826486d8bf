"""POLIS 2.0: job-placement participants (adults only) and their placements, in polis.db via HttpStore.

No deletes: participants who leave get ``is_active: false``; placements change ``status``
and every change moves ``modified``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path

from sandbox import clock, places
from sandbox.http_store import HttpStore
from sandbox.population import Household, Person
from sandbox.systems.base import Day, System

PROGRAMMES = ("tirocinio", "formazione", "orientamento", "borsa_lavoro", "inserimento_lavorativo")
END_STATUSES = ("hired", "completed", "completed", "dropped_out")


class Polis(System):
    key = "polis"

    def __init__(self, folder: Path, rng, counters, truth):
        super().__init__(rng, counters, truth)
        self.path = Path(folder) / "polis.db"
        self.store = HttpStore(self.path, "polis")
        self._participants: list[dict] = []
        self._placements: list[dict] = []

    def _participant(self, p: Person, h: Household, ts: float, active: bool) -> dict:
        rng, clerk = self.rng, self.clerk
        surname, first = clerk.names(p)
        if rng.random() < 0.8:
            surname, first = surname.title(), first.title()
        birth = clerk.birth_date(p)
        x = rng.random()
        gender = None if x < 0.03 else "other" if x < 0.035 else {"M": "male", "F": "female"}[p.sex]
        item = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "first_name": first,
            "last_name": surname,
            "fiscal_code": clerk.codice_fiscale(p, h.members),
            "birth_date": birth.isoformat() if birth else None,
            "gender": gender,
            "birth_country": p.birth_country if rng.random() > 0.05 else None,
            "phone": clerk.phone(p.phone),
            "email": p.email,
            "address": clerk.address(h.address),
            "is_active": active,
            "modified": clock.iso_local(ts),
        }
        self.truth.link(self.key, item["id"], p.person_id)
        return item

    def _placement(self, participant: str, start_ts: float, end_ts: float | None, updated_ts: float) -> dict:
        rng = self.rng
        start = datetime.fromtimestamp(start_ts, clock.ROME).date()
        days = ((updated_ts if end_ts is None else end_ts) - start_ts) / 86400
        return {
            "id": self.next_id("polis_placement"),
            "participant": participant,
            "programme": rng.choice(PROGRAMMES),
            "provider": rng.choice(places.POLIS_PROVIDERS),
            "start_date": start.isoformat(),
            "end_date": None if end_ts is None else datetime.fromtimestamp(end_ts, clock.ROME).date().isoformat(),
            "status": "active" if end_ts is None else rng.choice(END_STATUSES),
            "hours_completed": int(max(0.0, days) * rng.uniform(2, 5)),
            "modified": clock.iso_local(updated_ts),
        }

    def _enrol(self, p: Person, h: Household, start: float, end: float) -> None:
        rng = self.rng
        t = clock.random_ts(rng, start, end)
        placements: list[tuple[float, float | None, float]] = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            length = rng.randrange(30, 365) * 86400
            if t + length < end and rng.random() < 0.7:
                placements.append((t, t + length, min(end - 1, t + length + rng.randrange(86400 * 5))))
                t = t + length + rng.randrange(10, 120) * 86400
                if t >= end:
                    break
            else:
                placements.append((t, None, clock.random_ts(rng, t, end)))
                break
        active = placements[-1][1] is None or rng.random() < 0.5
        item = self._participant(p, h, max(u for _, _, u in placements), active)
        pid = item["id"]
        self._participants.append(item)
        self._placements.extend(self._placement(pid, s, e, u) for s, e, u in placements)
        if self.clerk.duplicate():
            self._participants.append(self._participant(p, h, clock.random_ts(rng, start, end), active))

    def add_household(self, h: Household, start: float, end: float) -> None:
        """Adults of working age join a path now and then (more often foreign-born and homeless people)."""
        today = datetime.fromtimestamp(end - 1, clock.ROME).date()
        for p in h.members:
            if not 18 <= p.age(today) < 65:
                continue
            chance = 0.10 if h.kind == "homeless" else 0.14 if p.foreign_born else 0.08
            if self.rng.random() < chance:
                self._enrol(p, h, start, end)

    def flush(self) -> None:
        self.store.upsert("participants", self._participants)
        self.store.upsert("placements", self._placements)
        self._participants.clear()
        self._placements.clear()

    def _items(self, collection: str, where: str = "1 = 1") -> list[dict]:
        self.flush()
        with sqlite3.connect(self.path) as conn:
            return [json.loads(r[0]) for r in conn.execute(f"SELECT item FROM {collection} WHERE {where} ORDER BY id")]

    def advance(self, day: Day) -> dict[str, int]:
        rng = day.rng
        active = self._items("placements", "json_extract(item, '$.status') = 'active'")
        closing = rng.sample(active, day.count(len(active), 0.01))
        for pl in closing:
            pl.update(
                status=rng.choice(END_STATUSES),
                end_date=day.day.isoformat(),
                hours_completed=pl["hours_completed"] + rng.randrange(0, 40),
                modified=clock.iso_local(day.ts()),
            )
        closed = {pl["id"] for pl in closing}
        progressing = rng.sample([pl for pl in active if pl["id"] not in closed], day.count(len(active), 0.02))
        for pl in progressing:
            pl.update(hours_completed=pl["hours_completed"] + rng.randrange(4, 40), modified=clock.iso_local(day.ts()))
        self.store.upsert("placements", closing + progressing)

        participants = self._items("participants")
        touched = rng.sample(participants, day.count(len(participants), 0.003))
        people = self.truth.person_ids(self.key, [t["id"] for t in touched])
        households = day.population.load(day.population.household_of(people))
        for item, pid, h in zip(touched, people, households):
            if rng.random() < 0.3:
                item["is_active"] = False
            else:
                item["phone"] = self.clerk.phone(day.new_phone(next(m for m in h.members if m.person_id == pid)))
            item["modified"] = clock.iso_local(day.ts())
        self.store.upsert("participants", touched)

        before = len(participants)
        start, end = day.bounds
        for h in day.new_households:
            self.add_household(h, start, end)
        self.flush()
        return {
            "placements_closed": len(closing),
            "placements_progressed": len(progressing),
            "participants_modified": len(touched),
            "participants_added": self.store.count("participants") - before,
        }

    def counts(self) -> dict[str, int]:
        self.flush()
        return {"participants": self.store.count("participants"), "placements": self.store.count("placements")}

    def close(self) -> None:
        super().close()
        self.store.close()
