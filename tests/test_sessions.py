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
def generations():
    """Each user's credential generation (users.Credentials.generation), changed by tests."""
    return {"mum": "mum-1", "kid": "kid-1", "dad": "dad-1"}


@pytest.fixture
def store(clock, generations):
    return SessionStore(
        LocalCache(timer=clock),
        signing.derive_key(COOKIE_KEY, "session"),
        generation_of=generations.get,
        clock=clock,
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
    other = SessionStore(
        store.cache,
        signing.derive_key("another key", "session"),
        generation_of={"mum": "mum-1"}.get,
        clock=clock,
    )
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


class EndedDuringTouch(LocalCache):
    """The session is ended (the Devices page, another replica) just before the `at`-th
    operation `touch` makes on it: every moment a touch could be interleaved with."""

    def __init__(self, at: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.at, self.ops = at, 0

    def _op(self, key: str) -> None:
        if key.startswith("session:"):
            if self.ops == self.at:
                super().delete(key)
            self.ops += 1

    def get(self, key):
        self._op(key)
        return super().get(key)

    def set(self, key, value, ttl):
        self._op(key)
        super().set(key, value, ttl)

    def replace(self, key, value, ttl):
        self._op(key)
        return super().replace(key, value, ttl)


@pytest.mark.parametrize("at", range(3))
def test_a_session_ended_while_it_is_touched_stays_ended(clock, generations, at):
    """A touch used to read the session, then write it back: ended in between, it came back
    to life. Now the write happens only if the session is there, in one operation."""
    store = SessionStore(
        LocalCache(timer=clock), b"k" * 32, generation_of=generations.get, clock=clock
    )
    session = start(store)
    racing = EndedDuringTouch(at, timer=clock)
    for key in store.cache.scan("session:"):
        racing.set(key, store.cache.get(key), SESSION_SECONDS)
    racing.ops = 0
    store.cache = racing
    clock.now += 600
    store.touch(session)
    if racing.ops > at:  # the session was ended during the touch
        assert not list(racing.scan("session:")), f"ended before operation {at}, it came back"


@pytest.mark.parametrize("change", ["new password", "removed", "removed and added again"])
def test_a_new_password_or_a_removal_ends_every_session(store, generations, change):
    """Issue 16 finding 9: sessions outlived a password change by up to 30 days."""
    phone, tv = start(store), start(store, device="TV")
    others = start(store, user="dad")
    if change == "removed":
        del generations["mum"]
    else:
        generations["mum"] = "mum-2"
    for session in (phone, tv):
        assert store.from_cookie(store.cookie_value(session)) is None
        assert store.get(session.id) is None
    assert store.active("mum") == []
    assert store.get(others.id) is not None  # nobody else's
    if change != "removed":
        assert store.get(start(store).id) is not None  # logging in again works


def test_no_session_for_someone_who_cannot_log_in(store):
    with pytest.raises(ValueError):
        start(store, user="stranger")


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
