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
