"""Per-client rate limits: a token bucket in memory, per process.

Each client's bucket holds up to `rate_limit_per_minute` tokens (its burst) and refills at
limit/60 tokens a second; a request takes one token or is refused with the seconds until the next
token (sent as Retry-After). State lives in the worker process: with N uvicorn workers a client can
get up to N times its limit; a shared store (Redis) would be needed for an exact global limit.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """Token buckets keyed by client id; thread-safe."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client_id: str, per_minute: int) -> int:
        """Take a token: 0 when allowed, else the whole seconds to wait (>= 1)."""
        if per_minute <= 0:
            return 60
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client_id, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[client_id] = (tokens - 1.0, now)
                return 0
            self._buckets[client_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
