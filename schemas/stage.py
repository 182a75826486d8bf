"""The stage step: raw records -> contract -> quarantine or standardised staging rows, one system per run.

`stage_system` reads the current raw versions added since the stream's watermark (`full=True`: all of
them), validates them lazily, files failures in quarantine, builds and applies staging rows by
difference, deletes the rows of deleted records, and moves the watermark — all in one transaction,
so a `SchemaDriftError` leaves staging, quarantine and watermarks as they were. Per stream the run
summary says received = staged + quarantined + deleted.

A bad update never erases good data: when a record's current version fails and an earlier version
passes (`schemas/staging/last_valid.py`), the rows of that last valid version stay in staging, flagged
with the quarantine entry of the newer version (`superseded_by`) and the rules it failed without their
values (`superseded_by_rules`); history targets keep the record's history. The summary counts them
(`kept_last_valid`, within `quarantined`). A valid version clears the flag; a deletion removes the rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from configuration import SYSTEMS, HubConfig
from progress import track
from schemas import quarantine
from schemas.contracts import CONTRACTS, check_drift, validate_payloads
from schemas.staging import events, person, reader
from schemas.staging.last_valid import last_valid
from schemas.staging.writer import WriteStats, replace_scope
from warehouse.models import RAW_STREAMS, RAW_TABLES, STAGING_TABLES
from warehouse.runs import recorded_run
from warehouse.state import load_state, save_state

log = logging.getLogger(__name__)
CHUNK = 50_000


@dataclass
class Batch:
    """The records of one chunk to stage: payload frame + lineage (the passing current versions, then the last
    valid versions of failing records), and (history targets) their passing versions."""

    frame: pd.DataFrame
    meta: pd.DataFrame
    run_id: int
    history: pd.DataFrame | None = None
    history_meta: pd.DataFrame | None = None
    riservato: dict[str, bool] = field(default_factory=dict)
    superseded: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    """source_id -> (quarantine_id, rules without values) of the records staged from their last valid version."""


@dataclass(frozen=True)
class Target:
    table: str
    scope: str  # column holding the source record's id
    build: Callable[[Batch], pd.DataFrame]
    history: bool = False  # built from every passing version, not only the current one


def _persons(build: Callable[[pd.DataFrame, pd.DataFrame, int], pd.DataFrame]) -> Target:
    return Target("stg_person", "source_person_id", lambda b: build(b.frame, b.meta, b.run_id))


STREAM_TARGETS: dict[tuple[str, str], tuple[Target, ...]] = {
    ("sat", "ospiti"): (_persons(person.sat_persons),),
    ("sat", "accoglienze"): (Target("stg_stay", "stay_id", lambda b: events.stays(b.frame, b.riservato, b.run_id)),),
    ("anagrafe", "residenti"): (
        _persons(person.anagrafe_persons),
        Target(
            "stg_residence",
            "source_person_id",
            lambda b: events.residence_periods(b.history, b.history_meta, b.run_id),
            history=True,
        ),
    ),
    ("polis", "participants"): (_persons(person.polis_persons),),
    ("polis", "placements"): (Target("stg_placement", "placement_id", lambda b: events.placements(b.frame, b.run_id)),),
    ("volontariato", "anagrafiche"): (_persons(person.volontariato_persons),),
    ("volontariato", "servizi"): (
        Target("stg_volunteer_service", "service_id", lambda b: events.volunteer_services(b.frame, b.run_id)),
    ),
    ("contabilita", "soggetti"): (_persons(person.contabilita_persons),),
    ("contabilita", "erogazioni"): (
        Target("stg_payment", "id_erogazione", lambda b: events.payments(b.frame, b.run_id)),
        Target(
            "stg_payment_status",
            "id_erogazione",
            lambda b: events.payment_statuses(b.history, b.history_meta, b.run_id),
            history=True,
        ),
    ),
}
"""What each raw stream stages into; the first target holds one row per staged record."""


@dataclass
class StreamCounts:
    system: str
    stream: str
    received: int = 0
    staged: int = 0
    quarantined: int = 0
    deleted: int = 0
    kept_last_valid: int = 0
    newly_quarantined: int = 0
    released: int = 0
    reread: int = 0
    writes: dict[str, WriteStats] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "stream": self.stream,
            "received": self.received,
            "staged": self.staged,
            "quarantined": self.quarantined,
            "deleted": self.deleted,
            "adds_up": self.received == self.staged + self.quarantined + self.deleted,
            "kept_last_valid": self.kept_last_valid,
            "newly_quarantined": self.newly_quarantined,
            "released": self.released,
            "reread": self.reread,
            "writes": {t: w.as_dict() for t, w in self.writes.items()},
            "seconds": round(self.seconds, 3),
        }


def watermark_stream(stream: str) -> str:
    """The sync_state stream name holding the stage watermark of a raw stream."""
    return f"stage:{stream}"


class StreamStager:
    """Stages one raw stream inside the caller's transaction."""

    def __init__(self, conn: Connection, system: str, stream: str, run_id: int, threshold: float):
        self.conn, self.system, self.stream, self.run_id, self.threshold = conn, system, stream, run_id, threshold
        self.raw = RAW_TABLES[(system, stream)]
        self.model = CONTRACTS[(system, stream)]
        self.targets = STREAM_TARGETS[(system, stream)]
        self.counts = StreamCounts(system, stream)
        self.seen: set[str] = set()

    def run(self, full: bool, reread: AbstractSet[str] = frozenset()) -> StreamCounts:
        started = time.monotonic()
        name = watermark_stream(self.stream)
        after = 0 if full else int((load_state(self.conn, self.system, name) or {}).get("raw_id", 0))
        upto = reader.top_raw_id(self.conn, self.raw)
        total = reader.count_changed(self.conn, self.raw, after, upto)
        with track(f"stage {self.system}.{self.stream}", total=total, unit="records") as progress:
            for chunk in reader.changed_current(self.conn, self.raw, after, upto, CHUNK):
                self.stage_chunk(chunk)
                progress.update(completed=self.counts.received)
        extra = sorted(set(reread) - self.seen)
        if extra:
            chunk = reader.current_of(self.conn, self.raw, extra)
            self.counts.reread = len(chunk)
            self.stage_chunk(chunk)
        save_state(self.conn, self.system, name, {"raw_id": upto}, str(upto), self.run_id)
        self.counts.seconds = time.monotonic() - started
        return self.counts

    def stage_chunk(self, chunk: pd.DataFrame) -> None:
        live = chunk[~chunk["deleted"].astype(bool)].reset_index(drop=True)
        result = validate_payloads(self.model, list(live["payload"]))
        check_drift(self.system, self.stream, result, self.threshold)
        ok = result.passed()
        failing = live[~ok]
        why = result.rules_by_row()
        c = self.counts
        c.newly_quarantined += quarantine.quarantine_failures(
            self.conn, self.system, self.stream, failing, [why[i] for i in failing.index], self.run_id
        )
        c.released += quarantine.release_superseded(self.conn, self.system, self.stream, chunk, self.run_id)
        batch = self._batch(result.frame[ok], live[ok], failing, result.labels_by_row())
        self._add_context(batch)
        scope = list(chunk["source_id"])
        for target in self.targets:
            table = STAGING_TABLES[target.table]
            where = table.c.source_system == self.system if target.table == "stg_person" else None
            rows = target.build(batch)
            if not target.history:
                _flag(rows, rows[target.scope], batch.superseded)
            c.writes.setdefault(target.table, WriteStats()).add(
                replace_scope(self.conn, table, target.scope, scope, rows, where)
            )
        c.received += len(chunk)
        c.deleted += int(chunk["deleted"].astype(bool).sum())
        c.quarantined += len(failing)
        c.kept_last_valid += len(batch.superseded)
        c.staged += int(ok.sum())
        self.seen.update(scope)

    def _batch(
        self, passed: pd.DataFrame, passed_meta: pd.DataFrame, failing: pd.DataFrame, labels: dict[int, list[str]]
    ) -> Batch:
        """The passing current versions, and the last valid version of each failing record that has one."""
        frame, meta = passed.reset_index(drop=True), passed_meta.reset_index(drop=True)
        if failing.empty:
            return Batch(frame, meta, self.run_id)
        kept, kept_meta = last_valid(self.conn, self.raw, self.model, failing["source_id"])
        if kept_meta.empty:
            return Batch(frame, meta, self.run_id)
        entries = quarantine.open_entry_ids(self.conn, self.system, self.stream, sorted(set(failing["source_id"])))
        keeps = set(kept_meta["source_id"])
        superseded = {
            sid: (entries[(sid, int(raw_id))], labels[i])
            for i, sid, raw_id in zip(failing.index, failing["source_id"], failing["raw_id"])
            if sid in keeps
        }
        return Batch(
            pd.concat([frame, kept], ignore_index=True),
            pd.concat([meta, kept_meta], ignore_index=True),
            self.run_id,
            superseded=superseded,
        )

    def _add_context(self, batch: Batch) -> None:
        """What some targets need beyond the current payloads: passing versions, the guests' riservato flag."""
        if any(t.history for t in self.targets):
            versions = reader.older_versions(self.conn, self.raw, batch.meta["source_id"])
            older = versions[~versions["deleted"].astype(bool) & ~versions["raw_id"].isin(batch.meta["raw_id"])]
            checked = validate_payloads(self.model, list(older["payload"]))
            passed = checked.passed()
            batch.history = pd.concat([checked.frame[passed], batch.frame], ignore_index=True)
            batch.history_meta = pd.concat([older.reset_index(drop=True)[passed], batch.meta], ignore_index=True)
        if (self.system, self.stream) == ("sat", "accoglienze"):
            ids = {str(g) for g in batch.frame["id_ospite"]}
            guests = reader.current_of(self.conn, RAW_TABLES[("sat", "ospiti")], ids)
            staged = _staged_riservato(self.conn, ids)
            batch.riservato = {  # confidential unless both the newest version and the staged one say it is not
                sid: bool(gone) or payload.get("riservato") is not False or staged.get(sid, True)
                for sid, gone, payload in zip(guests["source_id"], guests["deleted"], guests["payload"])
            }


def _flag(rows: pd.DataFrame, record_ids: pd.Series, superseded: dict[str, tuple[int, list[str]]]) -> None:
    """Set the superseded_by columns of rows built from a record's last valid version (null elsewhere)."""
    found = [superseded.get(rid) for rid in record_ids]
    rows["superseded_by"] = [f[0] if f else None for f in found]
    rows["superseded_by_rules"] = [f[1] if f else None for f in found]


def _staged_riservato(conn: Connection, guests: set[str]) -> dict[str, bool]:
    """Guest id -> riservato of their staged row (from their last valid version when the newest one failed)."""
    p = STAGING_TABLES["stg_person"]
    ids = sorted(guests)
    found: dict[str, bool] = {}
    for i in range(0, len(ids), reader.IN_CHUNK):
        q = sa.select(p.c.source_person_id, p.c.riservato).where(
            p.c.source_system == "sat", p.c.source_person_id.in_(ids[i : i + reader.IN_CHUNK])
        )
        found.update((sid, bool(flag)) for sid, flag in conn.execute(q))
    return found


def _stays_of(conn: Connection, guests: set[str]) -> set[str]:
    """Stay ids in staging of the given guests (re-staged when a guest's riservato flag may have changed)."""
    stay = STAGING_TABLES["stg_stay"]
    ids = sorted(guests)
    found: set[str] = set()
    for i in range(0, len(ids), reader.IN_CHUNK):
        found.update(
            conn.execute(
                sa.select(stay.c.stay_id).where(stay.c.source_person_id.in_(ids[i : i + reader.IN_CHUNK]))
            ).scalars()
        )
    return found


def stage_system(
    cfg: HubConfig, engine: Engine, system: str, *, full: bool = False, trigger: str = "cli", wait: float = 0.0
) -> dict:
    """Stage every stream of `system` as one recorded run (step "stage") under the system's stage lock
    (StepBusy after `wait` seconds while another stage of it runs); returns the run summary."""
    if system not in RAW_STREAMS:
        raise ValueError(f"unknown system {system!r}; expected one of {', '.join(SYSTEMS)}")
    with recorded_run(engine, "stage", system, trigger=trigger, wait=wait) as summary:
        summary["mode"] = "full" if full else "incremental"
        summary["streams"] = []
        with engine.begin() as conn:
            changed_guests: set[str] = set()
            for stream in RAW_STREAMS[system]:
                stager = StreamStager(conn, system, stream, summary["run_id"], cfg.quarantine_threshold)
                reread = _stays_of(conn, changed_guests) if stream == "accoglienze" and not full else set()
                counts = stager.run(full, reread)
                if stream == "ospiti":
                    changed_guests = stager.seen
                summary["streams"].append(counts.as_dict())
                log.info("staged %s.%s: %s", system, stream, counts.as_dict())
        summary["adds_up"] = all(s["adds_up"] for s in summary["streams"])
    return summary


def stage_all(cfg: HubConfig, engine: Engine, *, full: bool = False, trigger: str = "cli") -> list[dict]:
    """Stage every system in turn; a failing system raises after being recorded as a failed run."""
    return [stage_system(cfg, engine, system, full=full, trigger=trigger) for system in SYSTEMS]
