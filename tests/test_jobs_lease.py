"""One runner per job, after a Redis outage too (jobs/lease.py), with a real redis-server: a
lease that ran out is taken back when nobody took it, and a worker that finds another's
token stops; an upload stops once the lease has gone unrenewed for its whole length."""

from __future__ import annotations

import pytest

from homemovies_core.cache import LocalCache
from homemovies_core.jobs.errors import LeaseLost, Transient
from homemovies_core.jobs.lease import Lease
from homemovies_core.jobs.progress import JobProgress
from homemovies_core.redis_cache import make_cache, shared_only
from tests.support.clock import Clock
from tests.support.jobs import wait_until
from tests.support.redis_server import start_redis, stop


@pytest.fixture
def cache(tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    yield shared_only(make_cache(url))  # as a worker has it
    stop(proc)


def test_a_lease_that_ran_out_is_taken_back_when_nobody_took_it(cache):
    with Lease(cache, "job-0001", seconds=60) as lease:
        cache.delete(lease.key)  # it ran out while Redis could not be reached
        lease.confirm()
        assert cache.get(lease.key) == lease.token and not lease.taken
        with pytest.raises(Transient):  # so a second worker is still refused
            Lease(cache, "job-0001").__enter__()


def test_a_worker_that_finds_another_holding_its_job_stops(cache):
    with Lease(cache, "job-0002", seconds=60) as first:
        cache.delete(first.key)  # ran out during an outage: the queue gave the job to another
        with Lease(cache, "job-0002", seconds=60) as second:
            with pytest.raises(LeaseLost):
                first.confirm()
            assert first.taken and first.lapsed and not second.taken
            second.confirm()  # the other one goes on
        assert cache.get(first.key) is None  # the one that finished let it go


def test_the_renewer_notices_another_holder_by_itself(cache):
    with Lease(cache, "job-0003", seconds=0.4) as lease:
        cache.set(lease.key, "another-workers-token", 10)
        # Seen as taken, or overwritten by the renewer (which only the first may end with).
        wait_until(
            lambda: lease.taken or cache.get(lease.key) != "another-workers-token",
            "the renewer to act",
        )
        assert lease.taken
        progress = JobProgress("job-0003", lambda _s: None, lambda: False, lease=lease)
        with pytest.raises(LeaseLost):  # the job's next progress report stops it
            progress.at(50)
    assert cache.get(lease.key) == "another-workers-token"  # not removed by the loser


class TakenOverAfterOneCall:
    """The Cache as a worker frozen mid-renewal sees it: right after the lease's first call
    in a renewal comes back (whatever that call is), its lease runs out and another worker
    takes the job, before the frozen one makes its next call. (SIGSTOP between a read and a
    write did this in a full test run: the frozen worker then overwrote the other's lease.)"""

    def __init__(self, cache, key: str, other_token: str) -> None:
        self.cache, self.key, self.other_token = cache, key, other_token
        self.armed = False

    def __getattr__(self, name):
        method = getattr(self.cache, name)

        def call(*args, **kwargs):
            answer = method(*args, **kwargs)
            if self.armed and args and args[0] == self.key:
                self.armed = False
                self.cache.delete(self.key)  # ran out while this worker was frozen...
                assert self.cache.add(self.key, self.other_token, 60)  # ...and another took it
            return answer

        return call


def test_a_worker_frozen_mid_renewal_never_overwrites_the_lease_another_took(cache):
    frozen = TakenOverAfterOneCall(cache, "jobs:lease:job-0005", "another-workers-token")
    with Lease(frozen, "job-0005", seconds=60) as lease:
        frozen.armed = True
        # The renewal in which the takeover lands may still count as held (it was, when
        # Redis answered); the next one must see the other token.
        with pytest.raises(LeaseLost):
            lease.confirm()
            lease.confirm()
        assert lease.taken
    assert cache.get("jobs:lease:job-0005") == "another-workers-token"


@pytest.mark.parametrize("where", ["local", "redis"])
def test_renew_extends_only_the_holders_own_entry(cache, where):
    store = LocalCache() if where == "local" else cache
    assert not store.renew("lease", "mine", 60)  # nothing to renew
    store.set("lease", "theirs", 60)
    assert not store.renew("lease", "mine", 60)
    assert store.get("lease") == "theirs"
    store.set("lease", "mine", 0.5)
    assert store.renew("lease", "mine", 60)
    assert store.get("lease") == "mine" and store.ttl("lease") > 30


def test_an_upload_stops_once_the_lease_went_unrenewed_for_its_length():
    clock = Clock()  # moved by hand: the renewer (every 5 s of real time) never gets a turn
    with Lease(LocalCache(), "job-0004", seconds=20, clock=clock) as lease:
        progress = JobProgress("job-0004", lambda _s: None, lambda: False, lease=lease)
        clock.now += 60
        progress.at(40, force=True)  # encoding goes on through an outage
        with progress.bar("Uploading", 100, "B") as advance:  # confirmed in the Cache first
            advance(10)
            clock.now += 21
            with pytest.raises(LeaseLost):
                advance(10)
