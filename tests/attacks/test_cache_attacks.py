"""Attacks on the Cache: evicting the family's state, and throttles that Redis 6 switched off.

Findings 4 and 5 of issue #8. No browser: the Cache is what these attacks aim at.
"""

from __future__ import annotations

import secrets

import pytest

from homemovies_core.pairing import Pairing, PairingBusy
from homemovies_core.redis_cache import make_cache
from homemovies_core.throttle import Throttle
from tests.support.family_state import Family
from tests.support.redis6 import server_version, start_redis6, stop

ATTACKER = "198.51.100.23"


def test_250k_failed_logins_with_random_names_evict_nothing_of_the_family():
    # The worst case for the in-process cache: every failure a new counter (as if unknown
    # names were not counted together), well past the single 200,000-entry LRU that used
    # to hold everything.
    cache = make_cache(None)
    family = Family(cache)
    throttle = Throttle(cache)
    for _ in range(250_000):
        throttle.failed(secrets.token_hex(6), ATTACKER)
    assert family.intact() == dict.fromkeys(family.intact(), True)


@pytest.fixture
def redis6_url(tmp_path):
    proc, url = start_redis6(tmp_path)
    try:
        assert server_version(url).startswith("6.")
        yield url
    finally:
        stop(proc)


def test_password_guessing_is_throttled_on_redis_6(redis6_url):
    cache = make_cache(redis6_url)  # as the app builds it: Redis, with in-process fail-over
    throttle = Throttle(cache)
    tries = [throttle.attempt("mum", ATTACKER).allowed for _ in range(throttle.max_failures + 3)]
    assert tries == [True] * throttle.max_failures + [False] * 3
    assert throttle.max_failures - 1 < throttle.blocked("mum", ATTACKER) <= throttle.window
    # ... and it was Redis that counted, not the fallback: another replica sees the lock.
    assert Throttle(make_cache(redis6_url)).blocked("mum", ATTACKER) > 0


def test_device_codes_are_capped_per_client_on_redis_6(redis6_url):
    pairing = Pairing(make_cache(redis6_url))
    started = 0
    with pytest.raises(PairingBusy):
        for _ in range(100):
            pairing.start("Fake TV", ATTACKER)
            started += 1
    assert 0 < started < 100
    assert pairing.start("Living-room TV", "192.0.2.10").code  # another client still can
