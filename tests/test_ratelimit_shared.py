"""Rate limits shared by every API worker through the local Redis (6379): two limiters (two workers) on one
client's bucket allow the limit once, not twice, even when they race; with Redis down each falls back to
its own bucket, logs it once, and shares again when Redis is back. The configuration names Redis without
a password."""

from __future__ import annotations

import logging
import threading
import uuid

import pytest
import redis
import requests

from api.app import create_app
from api.clients import create_client
from api.ratelimit import RateLimiter, RedisRateLimiter, make_limiter, redis_client
from configuration import ApiSettings, ConfigError, parse_config
from tests.api_world import serving
from tests.servers import require_server
from tests.stage_data import fresh_warehouse
from tests.test_config import _sample

REDIS_URL = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shared():
    """A Redis client and a key prefix of this test's own (deleted afterwards)."""
    require_server("Redis", "127.0.0.1", 6379)
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"fase:test:{uuid.uuid4().hex}:"
    yield client, prefix
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


def test_two_workers_share_one_bucket(shared):
    client, prefix = shared
    one, two = RedisRateLimiter(client, prefix=prefix), RedisRateLimiter(client, prefix=prefix)
    local_one, local_two = RateLimiter(), RateLimiter()  # what each worker allowed before: the limit each
    assert [local_one.take("c", 5) for _ in range(5)] + [local_two.take("c", 5) for _ in range(5)] == [0] * 10
    taken = [one.take("c", 5), two.take("c", 5), one.take("c", 5), two.take("c", 5), one.take("c", 5)]
    assert taken == [0] * 5
    refused = [two.take("c", 5), one.take("c", 5)]
    assert all(1 <= w <= 12 for w in refused)
    assert one.take("other", 5) == 0  # buckets are per client
    assert client.pttl(prefix + "c") > 0  # forgotten once it would be full again


def test_racing_workers_cannot_overspend(shared):
    client, prefix = shared
    limiters = [RedisRateLimiter(redis.Redis.from_url(REDIS_URL), prefix=prefix) for _ in range(2)]
    allowed = []
    lock = threading.Lock()

    def worker(limiter: RedisRateLimiter) -> None:
        for _ in range(40):
            ok = limiter.take("busy", 30) == 0
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=worker, args=(limiters[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 240 and 30 <= sum(allowed) <= 31  # the burst (+1 if a second of refill passed)


def test_redis_down_falls_back_to_the_local_bucket_logs_once_and_recovers(shared, caplog):
    client, prefix = shared
    clock = Clock()
    dead = redis_client(ApiSettings(redis_url="redis://127.0.0.1:1/0"))  # nothing listens there
    limiter = RedisRateLimiter(dead, prefix=prefix, clock=clock, retry_seconds=15)
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        assert [limiter.take("c", 3) for _ in range(3)] == [0, 0, 0]
        assert limiter.take("c", 3) >= 1  # the local bucket still limits
        clock.now += 16  # retry: still down, not logged again
        limiter.take("c", 3)
    assert [r.getMessage() for r in caplog.records].count(
        "rate limits: Redis unreachable (ConnectionError): per-process limits until it answers again"
    ) == 1
    dead.connection_pool = client.connection_pool  # Redis is back
    clock.now += 16
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        assert limiter.take("c", 3) == 0 and client.exists(prefix + "c")
    assert "Redis answers again" in caplog.text


def test_configuration_names_redis_without_a_password(monkeypatch):
    data = _sample()
    data["api"] = {"redis_url": "redis://:hunter2@redis:6379/0"}
    with pytest.raises(ConfigError, match="api.redis_url") as err:
        parse_config(data, "bad.yaml")
    assert "hunter2" not in str(err.value)
    data["api"] = {"redis_url": "http://redis:6379"}
    with pytest.raises(ConfigError, match="api.redis_url"):
        parse_config(data)
    data["api"] = {"redis_url": REDIS_URL, "redis_password_env": "FASE_TEST_REDIS_PW"}
    cfg = parse_config(data)
    monkeypatch.delenv("FASE_TEST_REDIS_PW", raising=False)
    with pytest.raises(ConfigError, match="FASE_TEST_REDIS_PW"):
        make_limiter(cfg.api)
    assert isinstance(make_limiter(ApiSettings()), RateLimiter)
    assert isinstance(make_limiter(ApiSettings(redis_url=REDIS_URL)), RedisRateLimiter)


def test_two_api_processes_enforce_one_limit(shared, tmp_path):
    client, prefix = shared
    engine = fresh_warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    _, key = create_client(engine, "feed", "integration", "test: sync", rate_limit_per_minute=4)
    apps = [create_app(engine, limiter=RedisRateLimiter(client, prefix=prefix)) for _ in range(2)]
    with serving(apps[0]) as one, serving(apps[1]) as two:
        codes = [
            requests.get(base + "/v1/changes", headers={"X-API-Key": key}, timeout=10).status_code
            for base in (one, two, one, two, one, two)
        ]
    assert codes == [200, 200, 200, 200, 429, 429]
