"""The simulated world: ``generate`` a seeded population into the five systems, ``advance`` it day by day.

All state lives in the world folder (``world.json``, ``population.db``, ``truth.db`` and each
system's storage), so ``advance`` and ``status`` work from a fresh process. Randomness comes
only from ``random.Random`` streams seeded by (seed, day, part): the same seed and size give
byte-identical files and identical database contents.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random

from progress import track
from sandbox import clock
from sandbox.input_faults import apply_anagrafe_fault
from sandbox.popstore import PopulationStore
from sandbox.population import CfRegistry, Household, Person, PopulationGenerator, mobile_number
from sandbox.systems.anagrafe import Anagrafe, complete_pending
from sandbox.systems.base import Day, System
from sandbox.systems.contabilita import Contabilita
from sandbox.systems.polis import Polis
from sandbox.systems.sat import Sat
from sandbox.systems.volontariato import Volontariato
from sandbox.truth import TruthWriter

SYSTEMS = ("sat", "anagrafe", "polis", "volontariato", "contabilita")
PERSON_TABLES = {
    "sat": "ospiti",
    "anagrafe": "residenti",
    "polis": "participants",
    "volontariato": "anagrafiche",
    "contabilita": "soggetti",
}
"""The table/collection of each system that holds person records (the others hold events)."""
COUNTER_START = {
    "person": 0,
    "household": 0,
    "sat_ospite": 7000,
    "sat_accoglienza": 20000,
    "sat_nucleo": 2000,
    "ana_individuo": 100000,
    "ana_famiglia": 55000,
    "polis_placement": 0,
    "vol_anagrafica": 0,
    "vol_servizio": 0,
    "cont_soggetto": 0,
    "cont_erogazione": 0,
}
HISTORY_START = datetime(2021, 1, 1, tzinfo=clock.ROME).timestamp()
"""Initial records carry timestamps between this and the end of the first sandbox day."""
NEW_HOUSEHOLDS_PER_DAY = 0.0005
"""New households each simulated day, as a share of the initial population size (at least one)."""
_BATCH = 2000


def load_world(folder: str | Path) -> dict:
    """The world state (``world.json``)."""
    return json.loads((Path(folder) / "world.json").read_text())


def _save_world(folder: Path, state: dict) -> None:
    tmp = folder / "world.json.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    os.replace(tmp, folder / "world.json")


def database_url(folder: str | Path, state: dict, system: str) -> str:
    """SQLAlchemy URL of the volontariato or contabilita database (default: a SQLite file in the folder)."""
    return state[f"{system}_url"] or f"sqlite:///{Path(folder) / (system + '.db')}"


def _open_systems(folder: Path, state: dict, day: date, part: str, truth: TruthWriter) -> dict[str, System]:
    seed, counters = state["seed"], state["counters"]

    def rng(key: str) -> Random:
        return Random(f"{seed}:{part}:{day.isoformat()}:{key}")

    return {
        "sat": Sat(folder, rng("sat"), counters, truth),
        "anagrafe": Anagrafe(folder, rng("anagrafe"), counters, truth, day),
        "polis": Polis(folder, rng("polis"), counters, truth),
        "volontariato": Volontariato(database_url(folder, state, "volontariato"), rng("volontariato"), counters, truth),
        "contabilita": Contabilita(database_url(folder, state, "contabilita"), rng("contabilita"), counters, truth),
    }


def _registry(systems: dict[str, System]) -> Anagrafe:
    """The anagrafe among the open systems: the one that writes a nightly snapshot file."""
    registry = systems["anagrafe"]
    if not isinstance(registry, Anagrafe):
        raise TypeError(f"systems['anagrafe'] is a {type(registry).__name__}")
    return registry


def _summary(state: dict, systems: dict[str, System], population: PopulationStore) -> dict:
    records = {key: s.counts() for key, s in systems.items()}
    households, persons = population.count()
    return {
        "seed": state["seed"],
        "size": state["size"],
        "today": state["today"],
        "households": households,
        "persons": persons,
        "records": records,
        "person_records": {key: records[key][PERSON_TABLES[key]] for key in SYSTEMS},
        "total_records": sum(n for tables in records.values() for n in tables.values()),
    }


def _close(systems: dict[str, System], truth: TruthWriter, population: PopulationStore) -> None:
    for s in systems.values():
        s.close()
    truth.close()
    population.close()


def generate(
    folder: str | Path, size: int, seed: int, volontariato_url: str | None = None, contabilita_url: str | None = None
) -> dict:
    """Create a world of ``size`` true people in an empty folder (and empty databases); returns a summary."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "world.json").exists():
        raise FileExistsError(f"{folder} already holds a world")
    today = clock.START_DATE
    counters = dict(COUNTER_START)
    state = {
        "seed": seed,
        "size": size,
        "today": today.isoformat(),
        "counters": counters,
        "volontariato_url": volontariato_url,
        "contabilita_url": contabilita_url,  # None: a SQLite file here
    }
    truth, population = TruthWriter(folder), PopulationStore(folder)
    systems = _open_systems(folder, state, today, "generate", truth)
    cfs = CfRegistry()
    people = PopulationGenerator(Random(f"{seed}:population"), today, counters, cfs)
    start, end = HISTORY_START, clock.day_bounds(today)[1]
    batch: list[Household] = []
    with track("generate sandbox world", total=size, unit="people") as progress:
        while counters["person"] < size:
            h = people.household()
            extra = counters["person"] - size
            if extra > 0:  # the last household is cut to reach exactly `size` people
                del h.members[-extra:]
                counters["person"] = size
            for s in systems.values():
                s.add_household(h, start, end)
            batch.append(h)
            if len(batch) >= _BATCH:
                _flush(batch, systems, truth, population)
                progress.update(completed=counters["person"])
        _flush(batch, systems, truth, population)
        progress.update(completed=size, detail="writing the snapshot")
        _registry(systems).write_snapshot(today)
        progress.update(detail="snapshot written")
    summary = _summary(state, systems, population)
    summary["omocodes"] = cfs.omocodes
    summary["errors"] = {key: dict(sorted(s.clerk.applied.items())) for key, s in systems.items()}
    _close(systems, truth, population)
    _save_world(folder, state)
    return summary


def _flush(batch: list[Household], systems: dict[str, System], truth: TruthWriter, population: PopulationStore) -> None:
    population.save(batch)
    truth.people(p for h in batch for p in h.members)
    for s in systems.values():
        s.flush()
    truth.flush()
    batch.clear()


def advance(
    folder: str | Path, days: int = 1, incomplete_anagrafe: bool = False, anagrafe_fault: str | None = None
) -> dict:
    """Simulate the next ``days`` days; ``incomplete_anagrafe`` leaves the last night's file half written;
    ``anagrafe_fault`` (one of ``input_faults.ANAGRAFE_FAULTS``, off by default) spoils the last night's file.

    Returns ``{"days": [{"day": ..., "new_households": n, "changes": {system: {kind: n}}}], **status}``.
    A file left incomplete by an earlier call is completed first.
    """
    if incomplete_anagrafe and anagrafe_fault:
        raise ValueError("a night's file is either left half written or spoilt, not both")
    folder = Path(folder)
    state = load_world(folder)
    complete_anagrafe(folder)
    report = []
    for i in range(days):
        day = date.fromisoformat(state["today"]) + timedelta(days=1)
        last = i == days - 1
        report.append(_advance_day(folder, state, day, incomplete_anagrafe and last, anagrafe_fault if last else None))
        state["today"] = day.isoformat()
        _save_world(folder, state)
    return {"days": report, **status(folder)}


def _advance_day(folder: Path, state: dict, day: date, incomplete: bool, anagrafe_fault: str | None) -> dict:
    seed = state["seed"]
    truth, population = TruthWriter(folder), PopulationStore(folder)
    systems = _open_systems(folder, state, day, "advance", truth)
    people = PopulationGenerator(
        Random(f"{seed}:population:{day.isoformat()}"), day, state["counters"], CfRegistry(population.codes())
    )
    new = [people.household() for _ in range(max(1, round(state["size"] * NEW_HOUSEHOLDS_PER_DAY)))]
    population.save(new)
    truth.people(p for h in new for p in h.members)
    phones = Random(f"{seed}:phones:{day.isoformat()}")

    def new_phone(p: Person) -> str:
        p.phone = mobile_number(phones)
        population.set_phone(p.person_id, p.phone)
        truth.people([p])
        return p.phone

    changes = {}
    for key, s in systems.items():
        changes[key] = s.advance(Day(day, s.rng, population, new, new_phone))
    snapshot = _registry(systems).write_snapshot(day, incomplete=incomplete)
    if anagrafe_fault:
        apply_anagrafe_fault(snapshot, anagrafe_fault)
    _close(systems, truth, population)
    return {"day": day.isoformat(), "new_households": len(new), "changes": changes}


def complete_anagrafe(folder: str | Path) -> list[str]:
    """Finish anagrafe files left "still being written"; returns their names."""
    return [p.name for p in complete_pending(Path(folder) / "anagrafe")]


def status(folder: str | Path) -> dict:
    """Per-system record counts of the world as it is now."""
    folder = Path(folder)
    state = load_world(folder)
    truth, population = TruthWriter(folder), PopulationStore(folder)
    systems = _open_systems(folder, state, date.fromisoformat(state["today"]), "status", truth)
    try:
        return _summary(state, systems, population)
    finally:
        _close(systems, truth, population)
