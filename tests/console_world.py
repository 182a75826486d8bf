"""A small warehouse for the console tests: a sandbox world synced, staged, linked for real (with a review band
widened so that the queue holds several items), published, its Data Docs built; served with the console.

`ConsoleWorld` holds the base URL, the engine, one key per kind of person and what the tests look for.
`chromium()` launches Debian's Chromium through Playwright (no browser download), or skips when it is absent
outside CI."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from api.app import create_app
from api.clients import create_client
from matching import pipeline
from matching.settings import LinkageSettings
from sandbox.truth import record_truth
from schemas.quality.runner import validate_staging
from tests.api_world import build_sandbox_warehouse, serving
from tests.helpers import make_config
from warehouse.profile.publish import publish

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PEOPLE = {  # name -> (role, grants, scope systems)
    "steward": ("steward", (), ()),
    "steward_conf": ("steward", ("confidential",), ()),
    "case_worker": ("case_worker", (), ()),
    "case_worker_conf": ("case_worker", ("confidential",), ()),
    "case_worker_sat": ("case_worker", (), ("sat",)),
    "analyst": ("analyst", (), ()),
    "integration": ("integration", (), ()),
}
PSEUDONYM_KEY = "console-test-pseudonym-key"


def review_settings() -> LinkageSettings:
    """The bundled settings with the review band widened to probability 0.00001: a small world then has a dozen
    review items (the automatic-link threshold is the bundled one)."""
    s = pipeline.bundled_settings()
    return s.model_copy(update={"thresholds": s.thresholds.model_copy(update={"review": 0.00001})})


@dataclass
class ConsoleWorld:
    base: str
    engine: sa.Engine
    keys: dict[str, str]
    clients: dict[str, str]
    settings: LinkageSettings
    folder: Path
    data_docs: Path | None
    extra: dict = field(default_factory=dict)

    def link(self) -> dict:
        """`fase link` with the world's settings."""
        return pipeline.link(self.engine, trigger="test", settings=self.settings)

    def rows(self, query, **params) -> list:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(query) if isinstance(query, str) else query, params).all()

    def session(self, who: str) -> requests.Session:
        """A requests session signed in through the form, as `who`."""
        s = requests.Session()
        form = s.get(self.base + "/console/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        r = s.post(self.base + "/console/login", data={"api_key": self.keys[who], "csrf_token": token}, timeout=30)
        assert r.status_code == 200 and "/console/login" not in r.url, r.text[:300]
        return s


def build_world(url: str, tmp: Path, size: int, with_docs: bool) -> tuple[sa.Engine, LinkageSettings, object]:
    engine = build_sandbox_warehouse(url, tmp, size=size, seed=7)
    settings = review_settings()
    pipeline.link(engine, trigger="test", settings=settings)
    publish(None, engine)
    cfg = make_config(tmp, warehouse_url=url).model_copy(
        update={"data_dir": tmp / "var", "truth_folder": tmp / "sandbox"}
    )
    if with_docs:
        validate_staging(cfg, engine)
    return engine, settings, cfg


@contextmanager
def console_world(url: str, tmp: Path, size: int = 600, with_docs: bool = True) -> Iterator[ConsoleWorld]:
    engine, settings, cfg = build_world(url, tmp, size, with_docs)
    keys, clients = {}, {}
    for name, (role, grants, systems) in PEOPLE.items():
        client, keys[name] = create_client(
            engine, f"{name.replace('_', ' ').title()}", role, "console test", grants=grants, systems=systems
        )
        clients[name] = client.client_id
    folder = tmp / "sandbox"
    app = create_app(
        cfg, pseudonym_key=PSEUDONYM_KEY, console_secret="console-test-secret", truth=lambda: record_truth(folder)
    )
    with serving(app) as base:
        yield ConsoleWorld(
            base, engine, keys, clients, settings, folder, tmp / "var" / "data_docs" if with_docs else None
        )


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright; skipped when absent, unless CI is set (then it fails)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make install` installs chromium and chromium-driver")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
