"""The in-process cache keeps security state where other traffic cannot evict it.

Each region (durable, pairing, throttle, ordinary) is its own bounded LRU; these
tests use small bounds so a flood well past them stays quick. The full-size attack (250k
failed logins with random user names) is in tests/attacks/test_cache_attacks.py.
"""

from __future__ import annotations

import pytest

from homemovies_core.cache import (
    DURABLE,
    ORDINARY,
    PAIRING,
    REGION_BOUNDS,
    THROTTLE,
    LocalCache,
    region_of,
)
from homemovies_core.pairing import Pairing, guess_throttle
from homemovies_core.shares import lookup_throttle, password_throttle
from homemovies_core.throttle import Throttle
from tests.support.family_state import Family

SMALL = {ORDINARY: 50, THROTTLE: 50, PAIRING: 50, DURABLE: 1000}
ATTACKER = "198.51.100.9"


def _everything(family: Family) -> dict[str, bool]:
    return dict.fromkeys(family.intact(), True)


def test_the_keys_the_app_writes_land_in_the_intended_regions():
    cache = LocalCache()
    Family(cache)
    for throttle in (
        Throttle(cache),
        lookup_throttle(cache),
        password_throttle(cache),
        guess_throttle(cache),
    ):
        throttle.failed("x", ATTACKER)
    namespaces = {key.split(":", 1)[0]: region_of(key) for key in cache.scan("")}
    assert namespaces == {
        "share": DURABLE,
        "progress": DURABLE,
        "progress-recent": DURABLE,
        "session": DURABLE,
        "sessions": DURABLE,
        "pair": PAIRING,
        "pair-started": THROTTLE,
        "login-fail": THROTTLE,
        "share-lookup-fail": THROTTLE,
        "share-password-fail": THROTTLE,
        "pair-guess-fail": THROTTLE,
    }


@pytest.mark.parametrize(
    ("key", "region"),
    [
        ("pair-claimed:ABCDEFGH", PAIRING),
        ("pair-wrong:ABCDEFGH", PAIRING),
        ("session-handoff:ab12", DURABLE),
        ("session-handoff-used:ab12", DURABLE),
        ("users:mum", DURABLE),
        ("login-lock:ab12", THROTTLE),
        ("ls:oci:ns/bucket:Holidays/", ORDINARY),
        ("stale:ls:oci:ns/bucket:Holidays/", ORDINARY),
        ("par:oci:ns/bucket:Holidays/beach.mp4", ORDINARY),
        ("par:oci:ns/bucket:Holidays/beach.mp4:lock", ORDINARY),
        ("nopost:ls:local:/srv:poster.jpg", ORDINARY),
        ("sweep:ns/bucket", ORDINARY),
        # Library names are not namespaces: a folder called "x-fail:" or "share:" stays ordinary.
        ("ls:local:/srv:Ski-fail:2024/", ORDINARY),
        ("nopost:share:abc", ORDINARY),
        ("sharex:abc", ORDINARY),
        ("", ORDINARY),
    ],
)
def test_region_of_literal_keys(key, region):
    assert region_of(key) == region


@pytest.mark.parametrize("key", ["share:a", "pair:A", "login-fail:a", "ls:a"])
def test_every_operation_works_in_every_region(key):
    c = LocalCache(bounds=SMALL)
    assert c.get(key) is None and c.ttl(key) is None
    assert c.add(key, "1", 60) and not c.add(key, "2", 60) and c.get(key) == "1"
    assert c.replace(key, "3", 60) and c.get(key) == "3"
    c.delete(key)
    assert not c.replace(key, "4", 60) and c.get(key) is None
    assert [c.incr(key, 60) for _ in range(3)] == [1, 2, 3] and 59 < c.ttl(key) <= 60
    c.set(key, "v", 0)
    assert c.get(key) == "v" and list(c.scan(key)) == [key]


def test_floods_of_ordinary_entries_and_failures_evict_only_their_own_kind():
    cache = LocalCache(bounds=SMALL)
    family = Family(cache)
    for i in range(5000):  # 100x the ordinary bound: listings of folders that never repeat
        cache.set(f"ls:oci:ns/b:folder-{i}/", "[]", 600)
        cache.set(f"par:oci:ns/b:folder-{i}/clip.mp4", "{}", 600)
    login = Throttle(cache)
    for _ in range(login.max_failures):
        login.failed("mum", ATTACKER)
    assert login.blocked("mum", ATTACKER) > 0
    for i in range(5000):  # listings again: they cannot push the lock out
        cache.set(f"ls:oci:ns/b:again-{i}/", "[]", 600)
    assert login.blocked("mum", ATTACKER) > 0
    for i in range(5000):  # 100x the throttle bound: failures with user names never seen
        login.failed(f"nobody-{i}", ATTACKER)

    assert family.intact() == _everything(family)
    # Each flood stayed inside its own bound, and its newest entries are the ones kept.
    assert len(list(cache.scan("ls:"))) + len(list(cache.scan("par:"))) == SMALL[ORDINARY]
    assert (
        cache.get("ls:oci:ns/b:again-4999/") == "[]" and cache.get("ls:oci:ns/b:again-0/") is None
    )
    assert len(list(cache.scan("login-fail:"))) == SMALL[THROTTLE]


def test_a_flood_of_device_codes_leaves_the_family_state():
    cache = LocalCache(bounds=SMALL)
    family = Family(cache)
    others = Pairing(cache)
    for i in range(150):  # 3x the small pairing bound, from as many clients
        others.start("TV", f"203.0.113.{i}")
    assert len(list(cache.scan("pair:"))) == SMALL[PAIRING]
    intact = family.intact()
    # Only the device code can go: pending codes compete with each other (and expire in
    # minutes anyway); everything else the family made is untouched.
    assert intact.pop("device code") is False
    assert intact == dict.fromkeys(intact, True)


def test_bounds_are_per_region_and_checked():
    assert set(REGION_BOUNDS) == {DURABLE, PAIRING, THROTTLE, ORDINARY}
    assert REGION_BOUNDS[DURABLE] >= 1_000_000
    with pytest.raises(ValueError, match="unknown cache regions"):
        LocalCache(bounds={"everything": 10})
