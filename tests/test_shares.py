"""Share links: tokens, storage by hash, expiry, revocation, passwords, throttling."""

from __future__ import annotations

import pytest

from homemovies_core.cache import LocalCache
from homemovies_core.library import Kind, Video
from homemovies_core.redis_cache import FailoverCache, RedisCache
from homemovies_core.shares import (
    DEFAULT_LIFETIME,
    LIFETIMES,
    LOOKUP_FAILURES,
    ShareStore,
    describe_expiry,
    human_lifetime,
    lookup_throttle,
    password_matches,
    password_throttle,
    token_id,
)
from homemovies_core.throttle import Throttle
from tests.support import apptest
from tests.support.clock import Clock
from tests.support.redis_server import start_redis, stop

VIDEO = Video(
    key="Summer/Beach day.mp4",
    folder="Summer/",
    title="Beach day",
    kind=Kind.PROGRESSIVE,
    badge="MP4",
)


@pytest.fixture(params=["local", "redis"])
def cache(request, tmp_path):
    if request.param == "local":
        yield LocalCache()
        return
    proc, url = start_redis(tmp_path)
    try:
        yield FailoverCache(RedisCache(url))
    finally:
        stop(proc)


def test_tokens_are_256_bit_and_only_their_hash_is_stored(cache):
    store = ShareStore(cache)
    tokens = {store.create(VIDEO, owner="mum", lifetime=60)[0] for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, base64url
    keys = list(cache.scan("share:"))
    assert len(keys) == 20
    for token in tokens:
        assert f"share:{token_id(token)}" in keys
        assert not any(token in k or token in (cache.get(k) or "") for k in keys)


def test_lookup_gives_the_video_and_expiry(cache):
    store = ShareStore(cache)
    token, share = store.create(VIDEO, owner="mum", lifetime=LIFETIMES[DEFAULT_LIFETIME])
    found = store.lookup(token)
    assert found == share
    assert (found.video_key, found.title, found.owner) == (VIDEO.key, "Beach day", "mum")
    assert found.expires - found.created == 2 * 24 * 3600
    assert 2 * 24 * 3600 - 5 < cache.ttl(f"share:{share.id}") <= 2 * 24 * 3600
    assert store.lookup("") is None and store.lookup(token + "x") is None
    assert store.lookup("x" * 1000) is None


def test_links_expire_with_their_lifetime():
    clock = Clock()
    cache = LocalCache(timer=clock)
    store = ShareStore(cache, clock=clock)
    short, _ = store.create(VIDEO, owner="mum", lifetime=LIFETIMES["1 hour"])
    long, _ = store.create(VIDEO, owner="mum", lifetime=LIFETIMES["7 days"])
    clock.now += 3599
    assert store.lookup(short) is not None
    clock.now += 2
    assert store.lookup(short) is None
    assert store.lookup(long) is not None
    assert [s.expires for s in store.active()] == [1_800_000_000.0 + 7 * 24 * 3600]
    with pytest.raises(ValueError):
        store.create(VIDEO, owner="mum", lifetime=0)


def test_revoked_links_stop_working_and_leave_the_list(cache):
    store = ShareStore(cache)
    first, a = store.create(VIDEO, owner="mum", lifetime=3600)
    second, b = store.create(VIDEO, owner="mum", lifetime=3600)
    assert {s.id for s in store.active()} == {a.id, b.id}
    store.revoke(a.id)
    assert store.lookup(first) is None
    assert store.lookup(second) == b
    assert [s.id for s in store.active()] == [b.id]


def test_a_clock_skewed_entry_is_not_served():
    clock = Clock()
    store = ShareStore(LocalCache(), clock=clock)  # the cache's own clock does not move
    token, _ = store.create(VIDEO, owner="mum", lifetime=60)
    clock.now += 61
    assert store.lookup(token) is None


def test_passwords_are_bcrypt_hashes():
    cache = LocalCache()
    store = ShareStore(cache)
    token, share = store.create(VIDEO, owner="mum", lifetime=60, password="grandma")
    assert share.protected and share.password_hash.startswith("$2")
    assert "grandma" not in cache.get(f"share:{share.id}")
    assert "grandma" not in repr(share)
    found = store.lookup(token)
    assert password_matches(found, "grandma")
    assert not password_matches(found, "Grandma")
    open_token, open_share = store.create(VIDEO, owner="mum", lifetime=60)
    assert not open_share.protected and password_matches(open_share, "anything")


def test_a_password_bcrypt_cannot_check_whole_is_one_sentence_not_a_crash():
    cache = LocalCache()
    store = ShareStore(cache)
    for too_long in ("p" * 73, "ö" * 37, "🎬" * 19):  # 73, 74 and 76 bytes
        with pytest.raises(ValueError) as refused:
            store.create(VIDEO, owner="mum", lifetime=60, password=too_long)
        assert str(refused.value) == (
            "That password is too long: use at most 72 bytes (72 plain letters or digits; "
            "accented letters and emoji count as 2 to 4)."
        )
    assert store.active() == []  # nothing half-made
    token, _ = store.create(VIDEO, owner="mum", lifetime=60, password="🎬" * 18)  # 72 bytes
    share = store.lookup(token)
    assert password_matches(share, "🎬" * 18)
    # A guess bcrypt would refuse is simply wrong, as is one that is not text at all.
    assert not password_matches(share, "🎬" * 18 + "x")
    assert not password_matches(share, "\udcff")


def test_a_password_that_is_not_text_is_one_sentence():
    with pytest.raises(ValueError) as refused:
        ShareStore(LocalCache()).create(VIDEO, owner="mum", lifetime=60, password="caf\udce9")
    assert str(refused.value) == (
        "That password contains characters that cannot be used: type it again."
    )


def test_guessing_is_throttled_per_address_and_apart_from_logins():
    cache = LocalCache()
    lookups = lookup_throttle(cache)
    for _ in range(LOOKUP_FAILURES - 1):
        lookups.failed("*", "203.0.113.5")
    assert lookups.blocked("*", "203.0.113.5") == 0
    lookups.failed("*", "203.0.113.5")
    assert lookups.blocked("*", "203.0.113.5") > 0
    assert lookups.blocked("*", "198.51.100.1") == 0  # another address is not affected
    # Same subject and address under other scopes: not locked.
    assert Throttle(cache).blocked("*", "203.0.113.5") == 0
    passwords = password_throttle(cache)
    assert passwords.blocked("*", "203.0.113.5") == 0
    assert [passwords.failed("share-id", "203.0.113.5") for _ in range(5)] == [
        4,
        3,
        2,
        1,
        0,
    ]
    assert passwords.blocked("share-id", "203.0.113.5") > 0


@pytest.mark.parametrize(
    "seconds, text",
    [
        (30, "1 minute"),
        (59 * 60 + 50, "60 minutes"),
        (5 * 3600, "5 hours"),
        (24 * 3600 - 5, "1 day"),
        (2 * 24 * 3600 - 5, "2 days"),
        (7 * 24 * 3600, "7 days"),
        (-5, "1 minute"),
    ],
)
def test_human_lifetime(seconds, text):
    assert human_lifetime(seconds) == text


def test_describe_expiry_in_utc_and_a_zone():
    from zoneinfo import ZoneInfo

    now = 1_800_000_000.0  # Fri 15 Jan 2027 08:00 UTC
    assert describe_expiry(now + 2 * 24 * 3600, now) == "in 2 days (Sun 17 Jan, 08:00 UTC)"
    assert (
        describe_expiry(now + 3600, now, ZoneInfo("Europe/Paris"))
        == "in 60 minutes (Fri 15 Jan, 10:00)"
    )


# -- the shared page, without a browser ------------------------------------------------------


def shared_page(token: str):
    """A stranger's run of the shared page, through Home.py's gate and navigation as on the
    real server (apptest.app: run alone, pages/shared.py would skip them)."""
    at = apptest.app(t=token)
    at.switch_page("pages/shared.py")
    at.run()
    assert not at.exception, at.exception
    return at


def everything_shown(at) -> str:
    return " ".join(
        str(e.value)
        for kind in (
            "title",
            "subheader",
            "markdown",
            "caption",
            "info",
            "error",
            "warning",
            "text",
        )
        for e in getattr(at, kind)
    )


def test_a_stranger_with_a_bad_token_sees_one_sentence(svc):
    at = shared_page("not-a-token")
    assert [i.value for i in at.info] == [
        "This link does not work any more. It may have expired or been withdrawn; ask the "
        "person who sent it for a new one."
    ]
    assert not at.sidebar.radio and not at.sidebar.button and not at.text_input
    for secret in ("Summer", "Home videos", "Mum", "mum"):
        assert secret not in everything_shown(at)


def test_a_valid_token_shows_the_title_and_expiry_and_nothing_else(svc):
    video = svc.catalog.video("Summer 2023 #1/Beach day.mp4")
    token, _ = ShareStore(svc.cache).create(video, owner="mum", lifetime=LIFETIMES["1 day"])
    at = shared_page(token)
    assert [s.value for s in at.subheader] == ["Beach day"]
    shown = everything_shown(at)
    assert "expires in 1 day" in shown
    for secret in ("Summer 2023", "Ünïcode", "mum", "Mum", str(svc.storage.scope)):
        assert secret not in shown
    assert not at.sidebar.radio and not at.sidebar.button


def test_a_protected_link_asks_for_the_password_first(svc):
    video = svc.catalog.video("Summer 2023 #1/Beach day.mp4")
    token, _ = ShareStore(svc.cache).create(video, owner="mum", lifetime=3600, password="pw2")
    at = shared_page(token)
    assert [t.label for t in at.text_input] == ["This video is protected. Password"]
    assert "expires" not in everything_shown(at)
