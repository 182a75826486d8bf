"""Contabilità: payees (`soggetti`) and the benefits paid to them (`erogazioni`).

Any SQLAlchemy URL (SQLite file by default, PostgreSQL in production). Every payee has a
codice fiscale or, lacking one, an 11-digit provisional numeric code. Benefits move
``determinato`` -> ``liquidato`` -> ``pagato`` (``data_pagamento`` set) or to ``revocato``;
``dt_agg`` (timestamp with time zone; SQLite keeps it as naive UTC) moves on every change.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from sandbox import clock
from sandbox.population import Household, Person
from sandbox.systems.base import Day, System, make_engine

metadata = sa.MetaData()
soggetti = sa.Table(
    "soggetti",
    metadata,
    sa.Column("id_soggetto", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("codice_fiscale", sa.String(16), nullable=False),
    sa.Column("cognome", sa.String(100)),
    sa.Column("nome", sa.String(100)),
    sa.Column("data_nascita", sa.Date, nullable=True),
    sa.Column("sesso", sa.CHAR(1), nullable=True),
    sa.Column("iban", sa.String(34), nullable=True),
    sa.Column("indirizzo", sa.String(200), nullable=True),
    sa.Column("dt_agg", sa.DateTime(timezone=True), nullable=False),
)
erogazioni = sa.Table(
    "erogazioni",
    metadata,
    sa.Column("id_erogazione", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_soggetto", sa.Integer, nullable=False, index=True),
    sa.Column("tipo_contributo", sa.String(40), nullable=False),
    sa.Column("importo", sa.Numeric(12, 2), nullable=False),
    sa.Column("numero_determina", sa.String(30), nullable=False),
    sa.Column("data_determina", sa.Date, nullable=False),
    sa.Column("data_pagamento", sa.Date, nullable=True),
    sa.Column("stato", sa.String(20), nullable=False),
    sa.Column("dt_agg", sa.DateTime(timezone=True), nullable=False),
)
AMOUNTS = {  # tipo_contributo -> (min, max) euros
    "contributo_affitto": (150, 600),
    "morosita_incolpevole": (1000, 8000),
    "contributo_economico": (100, 800),
    "buono_spesa": (50, 300),
    "deposito_cauzionale": (500, 2000),
    "utenze": (50, 400),
}
_TYPES = tuple(AMOUNTS)
_PAYEE_CHANCE = {
    "single_mother": 0.3,
    "family": 0.12,
    "three_generations": 0.12,
    "elderly": 0.1,
    "single": 0.08,
    "couple": 0.06,
    "homeless": 0.05,
}


class Contabilita(System):
    key = "contabilita"

    def __init__(self, url: str, rng, counters, truth):
        super().__init__(rng, counters, truth)
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        self._payees: list[dict] = []
        self._payments: list[dict] = []

    def _soggetto(self, p: Person, h: Household, ts: float) -> dict:
        rng, clerk = self.rng, self.clerk
        surname, first = clerk.names(p)
        if rng.random() < 0.15:
            surname, first = surname.title(), first.title()
        row = {
            "id_soggetto": self.next_id("cont_soggetto"),
            "codice_fiscale": clerk.codice_fiscale(p, h.members) or p.provisional_code,
            "cognome": surname[:100],
            "nome": first[:100],
            "data_nascita": clerk.birth_date(p),
            "sesso": p.sex if rng.random() > 0.03 else None,
            "iban": p.iban if rng.random() < 0.85 else None,
            "indirizzo": clerk.address(h.address),
            "dt_agg": clock.utc(ts),
        }
        self.truth.link(self.key, row["id_soggetto"], p.person_id)
        return row

    def _payment(self, id_soggetto: int, decided: date, today: date, tipo: str | None = None) -> dict:
        rng = self.rng
        tipo = tipo or rng.choice(_TYPES)
        lo, hi = AMOUNTS[tipo]
        age = (today - decided).days
        x = rng.random()
        if age > 120:
            state = "pagato" if x < 0.85 else "revocato" if x < 0.9 else "liquidato"
        elif age > 30:
            state = "pagato" if x < 0.5 else "liquidato" if x < 0.85 else "determinato" if x < 0.97 else "revocato"
        else:
            state = "determinato" if x < 0.8 else "liquidato"
        paid = decided + timedelta(days=rng.randrange(20, 100)) if state == "pagato" else None
        if paid and paid > today:
            paid = today
        last = paid or decided + timedelta(days=min(age, rng.randrange(0, 30)))
        return {
            "id_erogazione": self.next_id("cont_erogazione"),
            "id_soggetto": id_soggetto,
            "tipo_contributo": tipo,
            "importo": Decimal(rng.randrange(lo * 100, hi * 100)).scaleb(-2),
            "numero_determina": f"DD/{decided.year}/{rng.randrange(1, 6000):05d}",
            "data_determina": decided,
            "data_pagamento": paid,
            "stato": state,
            "dt_agg": clock.utc(clock.random_ts(rng, *clock.day_bounds(last))),
        }

    def _payee(self, h: Household, today: date) -> Person | None:
        adults = [m for m in h.members if m.age(today) >= 18 and (m.codice_fiscale or m.provisional_code)]
        if not adults:
            return None
        return adults[1] if len(adults) > 1 and self.rng.random() < 0.3 else adults[0]

    def add_household(self, h: Household, start: float, end: float) -> None:
        """One adult of some households (more often single mothers) receives benefits."""
        rng = self.rng
        today = clock.naive_local(end - 1).date()
        chance = _PAYEE_CHANCE[h.kind] * (1.5 if h.origin != "IT" else 1.0)
        if rng.random() >= chance or (p := self._payee(h, today)) is None:
            return
        for _ in range(2 if self.clerk.duplicate() else 1):
            created = clock.random_ts(rng, start, end)
            first_day = clock.naive_local(created).date()
            payments = [
                self._payment(0, date.fromordinal(rng.randrange(first_day.toordinal(), today.toordinal() + 1)), today)
                for _ in range(rng.choice((1, 1, 2, 3, 4, 5)))
            ]
            payee = self._soggetto(p, h, max(created, max(pm["dt_agg"].timestamp() for pm in payments)))
            for pm in payments:
                pm["id_soggetto"] = payee["id_soggetto"]
            self._payees.append(payee)
            self._payments.extend(payments)

    def flush(self) -> None:
        if self._payees or self._payments:
            with self.engine.begin() as conn:
                if self._payees:
                    conn.execute(soggetti.insert(), self._payees)
                if self._payments:
                    conn.execute(erogazioni.insert(), self._payments)
        self._payees.clear()
        self._payments.clear()

    # --- daily changes ------------------------------------------------------------------------------------
    def _set_state(self, conn, ids: list[int], state: str, day: Day) -> None:
        for i in ids:
            values = {"stato": state, "dt_agg": clock.utc(day.ts())}
            if state == "pagato":
                values["data_pagamento"] = day.day
            conn.execute(erogazioni.update().where(erogazioni.c.id_erogazione == i).values(**values))

    def advance(self, day: Day) -> dict[str, int]:
        rng = day.rng
        self.flush()
        changes: dict[str, int] = {}
        with self.engine.begin() as conn:

            def ids(state):
                return [
                    r[0]
                    for r in conn.execute(
                        sa.select(erogazioni.c.id_erogazione)
                        .where(erogazioni.c.stato == state)
                        .order_by(erogazioni.c.id_erogazione)
                    )
                ]

            decided, liquidated = ids("determinato"), ids("liquidato")
            to_liquidate = rng.sample(decided, day.count(len(decided), 0.05))
            liquidating = set(to_liquidate)
            rest = [i for i in decided if i not in liquidating]
            to_revoke = rng.sample(rest, min(len(rest), max(1, round(len(decided) * 0.005))))
            to_pay = rng.sample(liquidated, day.count(len(liquidated), 0.07))
            self._set_state(conn, to_liquidate, "liquidato", day)
            self._set_state(conn, to_revoke, "revocato", day)
            self._set_state(conn, to_pay, "pagato", day)
            changes.update(liquidato=len(to_liquidate), revocato=len(to_revoke), pagato=len(to_pay))
            payees = [r[0] for r in conn.execute(sa.select(soggetti.c.id_soggetto).order_by(soggetti.c.id_soggetto))]
            for sid in rng.sample(payees, day.count(len(payees), 0.002)):
                pm = self._payment(sid, day.day, day.day)
                pm.update(stato="determinato", data_pagamento=None, dt_agg=clock.utc(day.ts()))
                self._payments.append(pm)
            changes["determinato"] = len(self._payments)
        before = self.counters["cont_soggetto"]
        start, end = day.bounds
        for h in day.new_households:
            self.add_household(h, start, end)
        self.flush()
        changes["soggetti_added"] = self.counters["cont_soggetto"] - before
        return changes

    def counts(self) -> dict[str, int]:
        self.flush()
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (soggetti, erogazioni)
            }

    def close(self) -> None:
        super().close()
        self.engine.dispose()
