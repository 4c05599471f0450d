"""A Redis outage: the app keeps serving, but security state is never changed in one
replica's memory alone (it would diverge: a revoked link would come back, a lock would be
forgotten when Redis returns). Writes are refused with one sentence until Redis is back."""

from __future__ import annotations

import signal

import pytest

from homemovies_core.cache import CacheUnavailable
from homemovies_core.library import Kind, Video
from tests.support.accounts import built_services
from tests.support.redis_server import start_redis, stop

VIDEO = Video(key="A/one.mp4", folder="A/", title="one", kind=Kind.PROGRESSIVE, badge="MP4")


@pytest.fixture
def redis(tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    state = {"proc": proc, "url": url, "port": int(url.rsplit(":", 1)[1].split("/")[0])}
    yield state
    state["proc"].send_signal(signal.SIGCONT)
    stop(state["proc"])


def replica(tmp_path, url):
    return built_services(tmp_path, "--redis-url", url)


def test_security_writes_are_refused_while_redis_is_down(tmp_path, redis):
    one, two = replica(tmp_path, redis["url"]), replica(tmp_path, redis["url"])
    token, share = one.shares.create(VIDEO, owner="mum", lifetime=3600)
    session = one.sessions.start("mum", device="TV", address="198.51.100.7", via="password")
    cookie = one.sessions.cookie_value(session)
    assert two.sessions.from_cookie(cookie) is not None  # seen alive by replica two

    redis["proc"].send_signal(signal.SIGSTOP)  # unreachable: connections hang, then time out
    with pytest.raises(CacheUnavailable) as refused:
        two.shares.revoke(share.id)
    assert str(refused.value) == (
        "This is not possible right now: the shared cache (Redis) "
        "cannot be reached. Try again in a minute."
    )
    for write in (
        lambda: one.shares.create(VIDEO, owner="mum", lifetime=60),
        lambda: two.sessions.end(session.id),
        lambda: one.pairing.start("TV", "198.51.100.7"),
        lambda: one.throttles.login.attempt("mum", "203.0.113.9"),
    ):
        with pytest.raises(CacheUnavailable):
            write()
    # The family keeps watching: a session replica two confirmed a moment ago still counts,
    # and what is not security state (progress, listings) keeps working from memory.
    assert two.sessions.from_cookie(cookie) is not None
    one.progress.record("mum", VIDEO.key, 42.0, 100.0)
    # What was written during the outage reads back: the resume point, the Library's
    # "Continue watching" row (read in one round trip, as the page does).
    assert one.progress.get("mum", VIDEO.key).position == 42.0
    assert one.progress.many("mum", [VIDEO.key])[VIDEO.key].position == 42.0
    assert [p.video_key for p in one.progress.continue_watching("mum")] == [VIDEO.key]

    redis["proc"].send_signal(signal.SIGCONT)  # Redis is back, with everything it held
    assert one.cache.ping() and two.cache.ping()  # what each replica's health check does
    # Nothing diverged: Redis alone decides, for every replica. (A command that timed out may
    # still have reached Redis when it woke up; the page said "not possible right now", and
    # the family checks the Shared links page, which shows the same to every replica.)
    assert (one.shares.lookup(token) is None) == (two.shares.lookup(token) is None)
    assert (one.sessions.from_cookie(cookie) is None) == (two.sessions.from_cookie(cookie) is None)
    two.shares.revoke(share.id)  # and now it is revoked for every replica at once
    assert one.shares.lookup(token) is None and two.shares.lookup(token) is None
    assert one.throttles.login.attempt("mum", "198.51.100.99").allowed


def test_an_unseen_session_is_not_believed_during_an_outage(tmp_path, redis):
    one, two = replica(tmp_path, redis["url"]), replica(tmp_path, redis["url"])
    session = one.sessions.start("mum", device="TV", address="198.51.100.7", via="password")
    redis["proc"].send_signal(signal.SIGSTOP)
    # Replica two never confirmed it: without Redis it cannot tell it from a revoked one.
    assert two.sessions.from_cookie(one.sessions.cookie_value(session)) is None
