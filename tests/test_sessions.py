"""Login sessions: the signed cookie, the session in the Cache, ending one from elsewhere,
and the one-time hand-off that lets the page collect its HttpOnly cookie."""

from __future__ import annotations

import pytest

from homemovies_core import signing
from homemovies_core.cache import LocalCache
from homemovies_core.sessions import SESSION_SECONDS, SessionStore
from tests.support.accounts import COOKIE_KEY, built_services
from tests.support.clock import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(clock):
    return SessionStore(
        LocalCache(timer=clock), signing.derive_key(COOKIE_KEY, "session"), clock=clock
    )


def start(store, user="mum", device="Chrome on Android"):
    return store.start(user, device=device, address="198.51.100.7", via="password")


def test_a_cookie_names_a_live_session(store):
    session = start(store)
    cookie = store.cookie_value(session)
    assert store.from_cookie(cookie) == session
    keys = list(store.cache.scan("session:"))
    assert keys and all(session.id not in k for k in keys)  # only its hash is a key


@pytest.mark.parametrize("bad", ["", "x", "a.b", "é.é", "a" * 5000, None])
def test_junk_is_no_session(store, bad):
    assert store.from_cookie(bad) is None


def test_a_forged_or_other_keys_cookie_is_no_session(store, clock):
    session = start(store)
    other = SessionStore(store.cache, signing.derive_key("another key", "session"), clock=clock)
    assert store.from_cookie(other.cookie_value(session)) is None
    forged = signing.sign(
        signing.derive_key(COOKIE_KEY, "progress"), {"s": session.id, "u": "mum"}, clock.now + 60
    )
    assert store.from_cookie(forged) is None  # a token for another purpose


def test_a_cookie_cannot_change_its_user(store, clock):
    session = start(store, user="kid")
    key = signing.derive_key(COOKIE_KEY, "session")
    stolen = signing.sign(key, {"s": session.id, "u": "mum"}, clock.now + 60)
    assert store.from_cookie(stolen) is None


def test_ending_a_session_logs_that_cookie_out_everywhere(store):
    session = start(store)
    cookie = store.cookie_value(session)
    store.end(session.id)
    assert store.from_cookie(cookie) is None


def test_sessions_expire_after_thirty_days(store, clock):
    cookie = store.cookie_value(start(store))
    clock.now += SESSION_SECONDS + 1
    assert store.from_cookie(cookie) is None


def test_the_devices_list_and_ending_one(store, clock):
    tv = start(store, device="Samsung Internet on a Samsung TV")
    clock.now += 600
    phone = start(store, device="Safari on an iPhone")
    start(store, user="dad", device="Firefox on Linux")
    listed = store.active("mum")
    assert [s.device for s in listed] == ["Safari on an iPhone", "Samsung Internet on a Samsung TV"]
    assert store.digest(phone.id) == listed[0].id
    assert not store.end_by_digest(store.digest(tv.id), "dad")  # not dad's to end
    assert store.end_by_digest(store.digest(tv.id), "mum")
    assert store.get(tv.id) is None and store.get(phone.id) is not None


def test_last_seen_is_written_at_most_every_few_minutes(store, clock):
    session = start(store)
    clock.now += 60
    assert store.touch(session).last_seen == session.last_seen
    clock.now += 600
    touched = store.touch(session)
    assert touched.last_seen == clock.now and store.get(session.id).last_seen == clock.now
    store.end(session.id)
    clock.now += 600
    store.touch(touched)
    assert store.get(session.id) is None  # touching never brings an ended session back


def test_the_cookie_is_handed_over_once(store, clock):
    session = start(store)
    handoff = store.handoff(session)
    assert store.handoff_pending(handoff)
    assert store.collect(handoff) == store.cookie_value(session)
    assert store.collect(handoff) is None and not store.handoff_pending(handoff)
    late = store.handoff(session)
    clock.now += 121
    assert store.collect(late) is None
    assert store.collect("") is None and store.collect("x" * 100) is None


def test_the_cache_holds_neither_the_hand_off_id_nor_the_cookie(store):
    session = start(store)
    handoff = store.handoff(session)
    cookie = store.cookie_value(session)
    raw = [(key, store.cache.get(key)) for key in store.cache.scan("")]
    assert any(key.startswith("session-handoff:") for key, _ in raw)
    for key, value in raw:
        for secret in (handoff, cookie, session.id):
            assert secret not in key and secret not in (value or ""), key
    assert store.collect(handoff) == cookie
    raw = [(key, store.cache.get(key)) for key in store.cache.scan("")]
    assert all(handoff not in key + (value or "") for key, value in raw)  # nor the used mark


def test_the_cookie_key_is_not_in_the_services_repr(tmp_path):
    assert COOKIE_KEY not in repr(built_services(tmp_path))
