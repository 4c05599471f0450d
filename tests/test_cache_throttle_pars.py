import threading

from homemovies_core.cache import LocalCache
from homemovies_core.pars import PlaybackUrls
from homemovies_core.redis_cache import redis_url_from_setting
from homemovies_core.storage.base import Grant
from tests.support.clock import Clock


def test_local_cache_ttl_add_incr():
    clock = Clock(1000.0)
    c = LocalCache(timer=clock)
    c.set("a", "1", 10)
    assert c.get("a") == "1" and 9.9 < c.ttl("a") <= 10
    clock.now += 11
    assert c.get("a") is None and c.ttl("a") is None
    assert c.add("lock", "x", 5) and not c.add("lock", "y", 5)
    clock.now += 6
    assert c.add("lock", "z", 5)
    assert [c.incr("n", 10) for _ in range(3)] == [1, 2, 3]
    clock.now += 10.5
    assert c.incr("n", 10) == 1  # the window started with the first increment
    c.set("p:1", "a", 0)
    c.set("p:2", "b", 60)
    assert sorted(c.scan("p:")) == ["p:1", "p:2"]


def test_bare_hostname_means_tls_on_6379():
    assert (
        redis_url_from_setting("abc.redis.us-ashburn-1.oci.oraclecloud.com")
        == "rediss://abc.redis.us-ashburn-1.oci.oraclecloud.com:6379"
    )
    assert redis_url_from_setting("redis://h:1/0") == "redis://h:1/0"


class CountingStorage:
    kind = "fake"
    scope = "bucket"

    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def grant(self, target, *, prefix, expires_at):
        with self.lock:
            self.calls += 1
        return Grant(
            url=f"https://os/p/tok{self.calls}/o/" + ("" if prefix else target),
            expires_at=expires_at,
            id=f"par{self.calls}",
        )


def test_grant_reused_until_min_remaining_then_reissued():
    clock = Clock(1000.0)
    storage = CountingStorage()
    urls = PlaybackUrls(
        storage,
        LocalCache(timer=clock),
        ttl_seconds=6 * 3600,
        min_remaining_seconds=3 * 3600,
        clock=clock,
    )
    first = urls.grant("A/b.mp4", prefix=False)
    clock.now += 2.9 * 3600
    assert urls.grant("A/b.mp4", prefix=False) == first
    clock.now += 0.2 * 3600  # now less than 3 h are left
    second = urls.grant("A/b.mp4", prefix=False)
    assert second != first and storage.calls == 2
    assert second.expires_at - clock.now == 6 * 3600


def test_concurrent_misses_issue_one_grant():
    """Thirty viewers miss at once: one issues, the others wait on the lock in the cache and
    take its grant. The issuer is held inside `grant` until all 29 others have been seen
    waiting on the lock, so the lock is really exercised (no sleep decides it)."""
    waiting: set[int] = set()
    all_waiting = threading.Event()
    lock = threading.Lock()

    def waiter_sleep(_seconds):  # what PlaybackUrls does while another holds the lock
        with lock:
            waiting.add(threading.get_ident())
            if len(waiting) == 29:
                all_waiting.set()
        all_waiting.wait(0.05)

    class HeldStorage(CountingStorage):
        def grant(self, target, *, prefix, expires_at):
            assert all_waiting.wait(30), "the other viewers never waited on the lock"
            return super().grant(target, prefix=prefix, expires_at=expires_at)

    storage = HeldStorage()
    urls = PlaybackUrls(
        storage, LocalCache(), ttl_seconds=3600, min_remaining_seconds=60, sleep=waiter_sleep
    )
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(urls.grant("x.hls/", prefix=True)))
        for _ in range(30)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert storage.calls == 1 and len(results) == 30 and len(set(results)) == 1
    assert len(waiting) == 29
