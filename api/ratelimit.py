"""Per-client rate limits: a token bucket per client, shared by every API worker through Redis when the
configuration names one (``api.redis_url``), in the worker's memory otherwise (the embedded default).

A client's bucket holds up to `rate_limit_per_minute` tokens (its burst) and refills at limit/60 tokens a
second; a request takes one token or is refused with the whole seconds until the next one (Retry-After).

Shared (``RedisRateLimiter``): the bucket is a Redis hash read and written by one Lua script, atomically, so
workers taking tokens at the same moment cannot overspend; time is Redis' own clock (workers' clocks may
disagree); the key expires once the bucket would be full again. When Redis cannot be reached the limiter
falls back to the worker's own bucket — N workers then allow up to N times the limit — logs that once, and
tries Redis again after RETRY_SECONDS (logging when it is back). Refusing every request while Redis is down
would turn a cache outage into an API outage; the limit protects capacity, not confidentiality.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from configuration import ApiSettings

log = logging.getLogger("api.ratelimit")
RETRY_SECONDS = 15.0
TIMEOUT_SECONDS = 0.25
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = capacity / 60000000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = capacity, now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate / 1000000) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], 61000)
return wait
"""
"""KEYS[1]: the client's bucket; ARGV[1]: its limit per minute. Returns 0 (token taken) or seconds to wait."""


class RateLimiter:
    """Token buckets keyed by client id, in this process; thread-safe."""

    shared = False

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


class RedisRateLimiter:
    """Token buckets in Redis, shared by every process using the same Redis and prefix; the local bucket
    while Redis is unreachable. Each take is one network round trip (callers run it off the event loop)."""

    shared = True

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "fase:ratelimit:",
        fallback: RateLimiter | None = None,
        clock=time.monotonic,
        retry_seconds: float = RETRY_SECONDS,
    ):
        self._script = client.register_script(TOKEN_BUCKET)
        self._prefix, self._clock, self._retry = prefix, clock, retry_seconds
        self.fallback = fallback or RateLimiter(clock)
        self._down_until: float | None = None
        self._lock = threading.Lock()

    def take(self, client_id: str, per_minute: int) -> int:
        """Take a token: 0 when allowed, else the whole seconds to wait (>= 1)."""
        if per_minute <= 0:
            return 60
        with self._lock:
            down = self._down_until is not None and self._clock() < self._down_until
        if down:
            return self.fallback.take(client_id, per_minute)
        try:
            wait = int(self._script(keys=[self._prefix + client_id], args=[per_minute]))
        except redis.RedisError as exc:
            with self._lock:
                first = self._down_until is None
                self._down_until = self._clock() + self._retry
            if first:
                log.warning(
                    "rate limits: Redis unreachable (%s): per-process limits until it answers again",
                    type(exc).__name__,
                )
            return self.fallback.take(client_id, per_minute)
        with self._lock:
            back, self._down_until = self._down_until is not None, None
        if back:
            log.warning("rate limits: Redis answers again: limits are shared by every worker")
        return wait


def redis_client(settings: ApiSettings) -> redis.Redis:
    """A client for the configured Redis: short timeouts and no retries, so that a request never waits long
    on a Redis that is down (the limiter then falls back)."""
    if settings.redis_url is None:
        raise ValueError("no api.redis_url in the configuration")
    return redis.Redis.from_url(
        settings.redis_url,
        password=settings.redis_password(),
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def make_limiter(settings: ApiSettings) -> RateLimiter | RedisRateLimiter:
    """The limiter the configuration asks for: shared through Redis when `redis_url` is set."""
    if settings.redis_url is None:
        return RateLimiter()
    return RedisRateLimiter(redis_client(settings))
