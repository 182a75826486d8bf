"""Vendor the front-end assets listed in vendor/manifest.json into vendor/dist/ (run by `make install`).

For each package: `npm pack NAME@VERSION` (npm's own cache makes a re-run work offline), the tarball's
sha512 checked against the integrity pinned in the manifest (the registry's `dist.integrity`), then only the
listed files extracted to vendor/dist/NAME/PATH. A stamp (the manifest's sha256) skips the work when nothing
changed. Standard library only: it runs before the virtualenv exists, and in the image's node build stage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
DIST = HERE / "dist"
STAMP = DIST / ".stamp"


class VendorError(RuntimeError):
    """A package that cannot be vendored as pinned; the message names it and why."""


def integrity(data: bytes) -> str:
    """The npm integrity string of a tarball: sha512, base64."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def pack(name: str, version: str, into: Path) -> Path:
    """The package tarball, downloaded (or taken from npm's cache) by npm itself."""
    try:
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--json", "--silent", "--pack-destination", str(into)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise VendorError("npm is not installed: it is needed to vendor the console's assets") from None
    except subprocess.CalledProcessError as exc:
        raise VendorError(f"npm pack {name}@{version} failed: {exc.stderr.strip()[-500:]}") from None
    return into / json.loads(out.stdout)[0]["filename"]


def extract(tarball: Path, package: dict, target: Path) -> None:
    """The listed files of the package (tar members package/PATH) into target/NAME/PATH, nothing else."""
    wanted = {f"package/{path}": path for path in package["files"]}
    with tarfile.open(tarball, "r:gz") as tar:
        found = {m.name: m for m in tar.getmembers() if m.name in wanted and m.isfile()}
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise VendorError(f"{package['name']}@{package['version']} has no {', '.join(missing)}")
        for member_name, path in wanted.items():
            dest = target / package["name"] / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(found[member_name]) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)


def vendor(manifest_path: Path = MANIFEST, dist: Path = DIST) -> int:
    """Vendor every package of the manifest into `dist` (replaced whole); returns how many."""
    raw = manifest_path.read_bytes()
    stamp = hashlib.sha256(raw).hexdigest()
    if (dist / ".stamp").exists() and (dist / ".stamp").read_text().strip() == stamp:
        return 0
    packages = json.loads(raw)["packages"]
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "dist"
        for package in packages:
            tarball = pack(package["name"], package["version"], Path(tmp))
            found = integrity(tarball.read_bytes())
            if found != package["integrity"]:
                raise VendorError(
                    f"{package['name']}@{package['version']}: integrity {found} differs from the pinned "
                    f"{package['integrity']}; refusing to vendor it"
                )
            extract(tarball, package, staging)
        (staging / ".stamp").write_text(stamp + "\n")
        if dist.exists():
            shutil.rmtree(dist)
        shutil.copytree(staging, dist)
    return len(packages)


def main() -> None:
    try:
        done = vendor()
    except VendorError as exc:
        sys.exit(f"vendor: {exc}")
    print(f"vendor: {done} packages checked and extracted into {DIST}" if done else f"vendor: {DIST} is up to date")


if __name__ == "__main__":
    main()
