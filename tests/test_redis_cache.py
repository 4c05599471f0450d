"""RedisCache and FailoverCache against a real redis-server on a free port.

The cache's own tests run against Redis 7 (Debian) and Redis 6 (tests/support/redis6.py): the app
must work on every Redis from 5 on, and a Redis-7-only argument once switched every
throttle off on Redis 6."""

from __future__ import annotations

import time

import pytest

from homemovies_core import services, settings
from homemovies_core.cache import CacheUnavailable, LocalCache
from homemovies_core.redis_cache import FailoverCache, RedisCache, SharedOnly
from homemovies_core.throttle import Throttle
from tests.support.redis6 import server_version, start_redis6
from tests.support.redis_server import start_redis, stop


@pytest.fixture(params=["7", "6"], ids=["redis7", "redis6"])
def redis_url(request, tmp_path):
    start = start_redis if request.param == "7" else start_redis6
    proc, url = start(tmp_path)
    try:
        # The peer is the one the test id names (a redis-server 6 earlier on PATH would
        # otherwise quietly stand in for Redis 7).
        assert server_version(url).split(".")[0] == request.param
        yield url
    finally:
        stop(proc)


def test_get_set_ttl_add_incr_scan(redis_url):
    c = RedisCache(redis_url)
    assert c.ping()
    c.set("k", "välue #1", 0.3)
    assert c.get("k") == "välue #1" and 0 < c.ttl("k") <= 0.3
    time.sleep(0.4)
    assert c.get("k") is None and c.ttl("k") is None
    assert c.add("lock", "a", 10) and not c.add("lock", "b", 10) and c.get("lock") == "a"
    assert c.replace("lock", "c", 20) and c.get("lock") == "c" and 10 < c.ttl("lock") <= 20
    assert not c.replace("absent", "x", 10) and c.get("absent") is None  # never creates one
    assert [c.incr("n", 0.3) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.4)
    assert c.incr("n", 0.3) == 1  # the window starts with the first increment only
    c.set("share:a*b", "1", 60)  # glob characters in keys are taken literally
    c.set("share:ab", "1", 60)
    c.set("other", "1", 60)
    assert sorted(c.scan("share:a*")) == ["share:a*b"]
    assert sorted(c.scan("share:")) == ["share:a*b", "share:ab"]
    c.delete("share:ab")
    assert c.get("share:ab") is None


def test_a_counter_window_starts_with_its_first_increment(redis_url):
    c = RedisCache(redis_url)
    assert [c.incr("login-fail:x", 60) for _ in range(4)] == [1, 2, 3, 4]
    assert 59 < c.ttl("login-fail:x") <= 60
    assert c.incr("login-fail:x", 3600) == 5  # a later increment never moves the window
    assert c.ttl("login-fail:x") <= 60
    assert c.get("login-fail:x") == "5"


def test_lockout_holds_across_replicas(redis_url):
    one, two = Throttle(RedisCache(redis_url)), Throttle(RedisCache(redis_url))
    for _ in range(5):
        one.failed("mum", "203.0.113.7")
    assert two.blocked("mum", "203.0.113.7") > 890  # another replica sees the lock


def test_unreachable_redis_falls_back_and_heals(tmp_path):
    proc, url = start_redis(tmp_path)
    clock = [0.0]
    cache = FailoverCache(
        RedisCache(url, timeout=0.5), LocalCache(), retry_seconds=5, timer=lambda: clock[0]
    )
    cache.set("a", "from redis", 60)
    stop(proc)
    cache.set("b", "kept locally", 60)  # no exception: the app keeps serving
    assert cache.degraded and cache.get("b") == "kept locally"
    assert not cache.ping()
    proc, _ = start_redis(tmp_path / "again", port=int(url.rsplit(":", 1)[1].split("/")[0]))
    try:
        clock[0] += 6  # after retry_seconds Redis is tried again
        assert cache.get("a") is None  # a fresh server: the old data is gone, but no error
        assert not cache.degraded
    finally:
        stop(proc)


def test_scan_of_an_unreachable_redis_falls_back_or_raises_cache_unavailable():
    # scan_iter is lazy: returned as is, the connection error fired only in the caller's
    # loop, past the fail-over, so the Shared links and Devices pages got a raw error.
    failover = FailoverCache(RedisCache("redis://127.0.0.1:1/0", timeout=0.5), LocalCache())
    failover.fallback.set("share:a", "1", 60)
    assert list(failover.scan("share:")) == ["share:a"]
    assert failover.degraded
    shared = SharedOnly(FailoverCache(RedisCache("redis://127.0.0.1:1/0", timeout=0.5)))
    with pytest.raises(CacheUnavailable):
        list(shared.scan("share:"))


def test_services_with_unreachable_redis_warn_and_report(tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    lib.mkdir()
    svc = services.build(
        settings.load(
            [
                "--media_dir",
                str(lib),
                "--redis-url",
                "redis://127.0.0.1:1/0",
                "--username",
                "u",
                "--password",
                "p",
            ],
            {},
            [],
        ),
        announce=lambda _m: None,
    )
    assert svc.cache.kind == "redis" and not svc.cache_reachable
    assert any("Redis cannot be reached" in w for w in svc.warnings)
    svc.cache.set("x", "1", 60)  # still works, in memory
    assert svc.cache.get("x") == "1"


def test_a_page_of_resume_points_is_one_round_trip(redis_url):
    """The library draws 24 cards per page, each with its resume point: one MGET, not 24
    GETs, so a Redis across the network costs one round trip per page."""
    import redis

    from homemovies_core.progress import ProgressStore

    store = ProgressStore(FailoverCache(RedisCache(redis_url)), b"k" * 32)
    keys = [f"Summer/Clip {n} #?.mp4" for n in range(24)]
    store.record("mum", keys[3], 42.0, 100.0)
    store.record("mum", keys[7], 10.0, None)
    admin = redis.Redis.from_url(redis_url, protocol=2, decode_responses=True)
    try:
        admin.config_resetstat()
        found = store.many("mum", keys)
        assert {k: p.position for k, p in found.items()} == {keys[3]: 42.0, keys[7]: 10.0}
        asked = admin.info("commandstats")
        assert asked["cmdstat_mget"]["calls"] == 1 and "cmdstat_get" not in asked
        assert store.many("mum", []) == {}
        assert [p.video_key for p in store.continue_watching("mum")] == [keys[7], keys[3]]
    finally:
        admin.close()
