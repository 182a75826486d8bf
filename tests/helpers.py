"""Helpers shared by tests: hub configurations pointing at temp sandboxes, raw-layer snapshots."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from configuration import HubConfig, parse_config
from warehouse.models import RAW_TABLES


def make_config(
    tmp_path: Path,
    *,
    warehouse_url: str | None = None,
    sat_url: str = "http://127.0.0.1:1",
    polis_url: str = "http://127.0.0.1:1",
    anagrafe_folder: Path | None = None,
    volontariato_url: str | None = None,
    contabilita_url: str | None = None,
    page_size: int | None = None,
    **http,
) -> HubConfig:
    data = {
        "mode": "sandbox",
        "warehouse": {"url": warehouse_url or f"sqlite:///{tmp_path / 'warehouse.db'}"},
        "http": {
            "timeout_seconds": 10,
            "max_attempts": 12,
            "backoff_base_seconds": 0.0,
            "backoff_max_seconds": 0.05,
            **http,
        },
        "sources": {
            "sat": {"base_url": sat_url, **({"page_size": page_size} if page_size else {})},
            "polis": {"base_url": polis_url, **({"page_size": min(page_size, 200)} if page_size else {})},
            "anagrafe": {"folder": str(anagrafe_folder or tmp_path / "anagrafe")},
            "volontariato": {"url": volontariato_url or f"sqlite:///{tmp_path / 'volontariato.db'}"},
            "contabilita": {"url": contabilita_url or f"sqlite:///{tmp_path / 'contabilita.db'}"},
        },
    }
    return parse_config(data, "test")


def raw_rows(engine, system: str, stream: str) -> list[tuple]:
    """Every version in a raw table, without run lineage: (source_id, version, is_current, deleted, hash)."""
    t = RAW_TABLES[(system, stream)]
    with engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(sa.select(t.c.source_id, t.c.version, t.c.is_current, t.c.deleted, t.c.content_hash))
        )


def current_payloads(engine, system: str, stream: str) -> dict[str, dict]:
    t = RAW_TABLES[(system, stream)]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.source_id, t.c.payload, t.c.deleted).where(t.c.is_current)).all()
    return {r.source_id: r.payload for r in rows if not r.deleted}


def sandbox_config(tmp_path: Path, folder: Path, warehouse_url: str, urls: dict, page_size: int = 500) -> HubConfig:
    """A hub configuration for a sandbox world in `folder` whose HTTP simulators run at `urls`."""
    return make_config(
        tmp_path,
        warehouse_url=warehouse_url,
        sat_url=urls["sat"],
        polis_url=urls["polis"],
        anagrafe_folder=folder / "anagrafe",
        volontariato_url=f"sqlite:///{folder / 'volontariato.db'}",
        contabilita_url=f"sqlite:///{folder / 'contabilita.db'}",
        page_size=page_size,
    )


def sync_and_stage(cfg: HubConfig, engine) -> None:
    """Sync every system into the raw layer, then stage each; every stage run's counts must add up."""
    from configuration import SYSTEMS
    from connectors.registry import sync_system
    from schemas.stage import stage_system

    for system in SYSTEMS:
        sync_system(cfg, engine, system)
    for system in SYSTEMS:
        assert stage_system(cfg, engine, system)["adds_up"]
