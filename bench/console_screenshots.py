"""Screenshots of the console for the README, taken from the demo world so that they stay true.

    .venv/bin/python bench/console_screenshots.py [--config var/sandbox/hub.yaml] [--out docs/screenshots]

Serves the console in this process over the configured warehouse (run `make demo` first), signs in as a steward
made for the occasion (its key is revoked at the end), and saves with Debian's Chromium (Playwright, no browser
download) the review item page of the queue's first item that has competing items (else the first) and the 360°
page of the beneficiary with the most systems among those with a stay, a placement and a payment.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.clients import create_client, revoke_client  # noqa: E402
from configuration import load_config  # noqa: E402
from hub.webapp import truth_reader  # noqa: E402
from matching import review  # noqa: E402
from warehouse import db  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROFILE = """
SELECT p.beneficiary_id FROM beneficiary_profile p
WHERE p.stays > 0 AND EXISTS (SELECT 1 FROM fact_placement f WHERE f.beneficiary_id = p.beneficiary_id)
  AND EXISTS (SELECT 1 FROM fact_payment f WHERE f.beneficiary_id = p.beneficiary_id) AND NOT p.is_protected
ORDER BY p.systems_count DESC, p.beneficiary_id LIMIT 1
"""


def pick(engine: sa.Engine) -> tuple[int, str]:
    items = review.queue(engine, review.QueueFilter(), limit=200)
    if not items:
        raise SystemExit("the review queue is empty: run `make demo` first")
    with engine.connect() as conn:
        competing = next(
            (i for i in items if review.related_items(conn, i["review_id"], (i["left"], i["right"]))), None
        )
        person = (
            conn.execute(sa.text(PROFILE)).scalar()
            or conn.execute(
                sa.text("SELECT beneficiary_id FROM beneficiary_profile ORDER BY systems_count DESC LIMIT 1")
            ).scalar()
        )
    return (competing or items[0])["review_id"], person


def serve(app) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="var/sandbox/hub.yaml")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cfg = load_config(args.config)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    item, person = pick(engine)
    client, key = create_client(engine, "Giulia Neri (data steward)", "steward", "README screenshots")
    server, base = serve(create_app(cfg, truth=truth_reader(cfg)))
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            page.goto(base + "/console/login")
            page.fill("#api_key", key)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            for name, path in (
                ("review-item", f"/console/review/{item}"),
                ("beneficiary-360", f"/console/beneficiaries/{person}"),
            ):
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(args.out / f"console-{name}.png"), full_page=True)
                print(f"{args.out / f'console-{name}.png'}: {path}")
            browser.close()
    finally:
        server.should_exit = True
        revoke_client(engine, client.client_id)


if __name__ == "__main__":
    main()
