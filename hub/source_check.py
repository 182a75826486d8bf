"""Before reading a source in sandbox mode: is the sandbox there? One line saying to start it, instead of minutes
of retried "connection refused" (and instead of SQLite creating an empty source database somewhere else).

Only sandbox mode is checked: a real system that is down is the connectors' business (retries, then the error).
"""

from __future__ import annotations

from pathlib import Path

from configuration import HubConfig
from sandbox.services import listening

START = "start the sandbox with `fase sandbox up` (or `fase airflow`, which starts its simulators)"


class SourceUnavailable(RuntimeError):
    """A sandbox source is not there; the message names it, where it was looked for, and what to run."""


def check_source(cfg: HubConfig, system: str) -> None:
    """In sandbox mode, SourceUnavailable when `system`'s simulator does not answer, its drop folder or its SQLite
    database file is missing."""
    if cfg.mode != "sandbox":
        return
    sources = cfg.sources
    if system in ("sat", "polis"):
        url = sources.sat.base_url if system == "sat" else sources.polis.base_url
        if not listening(url, timeout=1.0):
            raise SourceUnavailable(f"the sandbox's {system} simulator does not answer at {url}: {START}")
    elif system == "anagrafe":
        if not Path(sources.anagrafe.folder).is_dir():
            raise SourceUnavailable(f"the sandbox's anagrafe drop folder {sources.anagrafe.folder} is missing: {START}")
    elif system in ("volontariato", "contabilita"):
        from sqlalchemy.engine import make_url

        database = make_url(getattr(sources, system).url)
        if database.get_backend_name() == "sqlite" and database.database and not Path(database.database).exists():
            raise SourceUnavailable(
                f"the sandbox's {system} database {Path(database.database).resolve()} is missing: {START}"
            )
