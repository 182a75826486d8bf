"""The front-end assets the hub serves itself, vendored from npm by `make install` (vendor/fetch.py): where they
are and which CDN URLs they stand for. The ground floor, so that both the console (/docs, its pages) and the
Data Docs builder (schemas/quality) can find them; nothing here downloads anything.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "vendor"
MANIFEST = VENDOR / "manifest.json"
DIST = VENDOR / "dist"


class AssetsMissing(FileNotFoundError):
    """The vendored assets are not built; the message says how to build them."""


def vendored(package: str, path: str) -> Path:
    """The vendored file `path` of npm package `package`; AssetsMissing when it was not built."""
    found = DIST / package / path
    if not found.is_file():
        raise AssetsMissing(f"{found} is missing: run `make install` (vendor/fetch.py vendors the console's assets)")
    return found


@cache
def cdn_replacements() -> dict[str, tuple[str, str]]:
    """CDN URL -> (npm package, path inside it) of the vendored file standing for it."""
    manifest = json.loads(MANIFEST.read_text())
    return {
        url: (package["name"], path)
        for package in manifest["packages"]
        for path, urls in package["files"].items()
        for url in urls
    }
