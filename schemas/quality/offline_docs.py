"""Data Docs that render without internet: Great Expectations links Bootstrap, jQuery, Font Awesome, Vega… from
CDNs; after each build their links are rewritten to copies inside the site (static/vendor/, copied from the assets
`make install` vendored: configuration/assets.py), so the pages are styled offline, opened from disk or served by
the console. Subresource-integrity attributes of rewritten tags go with the CDN (the copies were checked against
npm's sha512 when vendored). GE's logo, fetched from its S3 bucket with the data context's id in the query string,
is taken from the copy GE puts in the site (static/images/). A CDN link without a vendored copy is left as it is
and reported.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from configuration.assets import DIST, AssetsMissing, cdn_replacements

VENDOR_DIR = Path("static") / "vendor"
IMAGES_DIR = Path("static") / "images"
GE_ASSETS = re.compile(r'"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([\w.-]+)(?:\?[^"]*)?"')
_SRI = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')
_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>")
_EXTERNAL = re.compile(r'(?:src|href)="(https?://[^"]+)"')


def _copy_packages(site: Path, packages: set[str]) -> None:
    """The vendored packages the rewritten links point into, whole (a stylesheet loads its fonts relatively)."""
    for package in packages:
        source = DIST / package
        if not source.is_dir():
            raise AssetsMissing(f"{source} is missing: run `make install` (vendor/fetch.py)")
        shutil.copytree(source, site / VENDOR_DIR / package, dirs_exist_ok=True)


def _rewrite(html: str, site: str, replacements: dict[str, tuple[str, str]]) -> tuple[str, bool]:
    """The page with its CDN links pointing into the site (`site`: the relative path from the page to the site)."""
    changed = False
    vendor, images = f"{site}/{VENDOR_DIR.as_posix()}", f"{site}/{IMAGES_DIR.as_posix()}"

    def tag(match: re.Match) -> str:
        nonlocal changed
        text = match.group(0)
        for url, (package, path) in replacements.items():
            if f'"{url}"' in text:
                text = _SRI.sub("", text.replace(f'"{url}"', f'"{vendor}/{package}/{path}"'))
                changed = True
        local = GE_ASSETS.sub(lambda m: f'"{images}/{m.group(1)}"', text)
        changed = changed or local != text
        return local

    return _TAG.sub(tag, html), changed


def localise_data_docs(site: Path) -> dict:
    """Rewrite the CDN links of every page of the Data Docs site at `site` to local copies; returns how many pages
    were rewritten and the external links left (none when every CDN file is vendored)."""
    replacements = cdn_replacements()
    _copy_packages(site, {package for package, _ in replacements.values()})
    pages, left = 0, set()
    for page in site.rglob("*.html"):
        relative = Path(os.path.relpath(site, page.parent)).as_posix()
        html, changed = _rewrite(page.read_text(encoding="utf-8"), relative, replacements)
        if changed:
            page.write_text(html, encoding="utf-8")
            pages += 1
        left |= {url for tag in _TAG.findall(html) for url in _EXTERNAL.findall(tag)}
    return {"pages": pages, "external_links": sorted(left)}
