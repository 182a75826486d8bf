"""HTTP with timeouts on every request and bounded retries (exponential backoff, full jitter, Retry-After)."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from configuration import HttpSettings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class SourceError(RuntimeError):
    """A source answered in a way no retry can fix, or kept failing past the attempt budget."""

    def __init__(self, system: str, message: str, status: int | None = None, body: object = None):
        super().__init__(f"{system}: {message}")
        self.system, self.status, self.body = system, status, body


def parse_aware_timestamp(system: str, value: str) -> datetime:
    """An ISO 8601 timestamp sent by a source; one without an offset is refused (its instant is unknown)."""
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise SourceError(system, f"timestamp without offset: {value!r}")
    return ts


def parse_retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now()).total_seconds())


@dataclass
class HttpClient:
    """A requests session for one source: auth headers, timeouts, retries; counts what it retried."""

    system: str
    settings: HttpSettings
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "fase-hub/0.1", **self.headers})

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before attempt `attempt + 1`: the server's Retry-After if given, else capped exponential with full jitter."""
        if retry_after is not None:
            return min(retry_after, self.settings.backoff_max_seconds * 10)
        cap = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * (2**attempt))
        return self.rng.uniform(0, cap)

    def get_json(
        self, url: str, params: dict | None = None, passthrough: frozenset[int] = frozenset()
    ) -> tuple[int, object]:
        """GET and decode JSON; retry transient failures; statuses in `passthrough` are returned, not raised."""
        last = "no attempt made"
        for attempt in range(self.settings.max_attempts):
            retry_after = None
            try:
                resp = self.session.get(url, params=params, timeout=self.settings.timeout_seconds)
                if resp.status_code in RETRY_STATUSES:
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    last = f"HTTP {resp.status_code}"
                elif resp.status_code in passthrough or resp.ok:
                    return resp.status_code, resp.json()
                else:
                    body = _safe_json(resp)
                    raise SourceError(
                        self.system, f"GET {resp.url} answered {resp.status_code}: {body}", resp.status_code, body
                    )
            except RETRY_ERRORS as exc:
                last = f"{type(exc).__name__}: {exc}"
            except requests.JSONDecodeError as exc:  # a body cut short by a reset decodes badly
                last = f"undecodable body: {exc}"
            if attempt + 1 < self.settings.max_attempts:
                wait = self.backoff(attempt, retry_after)
                self.retries += 1
                log.info("%s: %s on %s, retry %d in %.2fs", self.system, last, url, attempt + 1, wait)
                self.sleep(wait)
        raise SourceError(self.system, f"GET {url} failed after {self.settings.max_attempts} attempts; last: {last}")


def _safe_json(resp: requests.Response) -> object:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:200]
