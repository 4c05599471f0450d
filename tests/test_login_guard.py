"""Budgets on password guessing beyond the per-client throttle (login_guard.py), known
devices, and the bound on bcrypt checks per second (issue 16, findings 3 and 6)."""

from __future__ import annotations

from homemovies_core.cache import LocalCache
from homemovies_core.known_devices import KnownDevices
from homemovies_core.login_guard import OVERALL, PER_CLIENT, PER_NAME, LoginGuard
from homemovies_core.throttle import CheckRate
from tests.support.clock import Clock


def guard(clock: Clock) -> LoginGuard:
    return LoginGuard(LocalCache(timer=clock), CheckRate(per_second=1000, burst=1000))


def fail(g: LoginGuard, name: str, address: str, device: str | None = None) -> bool:
    """One wrong password; whether it was let through to be checked."""
    attempt = g.attempt(name, address, device)
    if attempt.allowed:
        g.failed(name, address, device)
    return attempt.allowed


def test_a_crowd_spends_a_names_budget_but_a_known_device_still_gets_in():
    clock = Clock()
    g = guard(clock)
    crowd = [f"203.0.113.{i}" for i in range(PER_NAME // 5)]
    assert all(fail(g, "mum", address) for address in crowd for _ in range(5))
    refused = g.attempt("mum", "198.51.100.1")  # a new address: the name's budget is spent
    assert not refused.allowed and 0 < refused.wait <= 900
    assert g.attempt("dad", "198.51.100.1").allowed  # other names are not
    assert g.attempt("mum", "198.51.100.1", device="mums-phone").allowed
    clock.now += 901
    assert g.attempt("mum", "198.51.100.2").allowed


def test_one_client_spraying_names_is_stopped_whatever_the_names():
    g = guard(Clock())
    assert all(fail(g, f"name{i}", "203.0.113.9") for i in range(PER_CLIENT))
    assert not g.attempt("mum", "203.0.113.9").allowed
    assert g.attempt("mum", "198.51.100.1").allowed


def test_a_crowd_spraying_names_meets_the_overall_budget():
    g = guard(Clock())
    clients = [f"2001:db8:{i:x}::1" for i in range(OVERALL // 5)]  # each its own /64
    assert all(fail(g, f"n{c}{k}", c) for c in clients for k in range(5))
    assert not g.attempt("mum", "198.51.100.1").allowed
    assert g.attempt("mum", "198.51.100.1", device="mums-phone").allowed


def test_a_known_device_counts_per_name_and_device():
    g = guard(Clock())
    assert all(fail(g, "mum", "203.0.113.9", device="tv") for _ in range(5))
    assert not g.attempt("mum", "198.51.100.1", device="tv").allowed  # wherever it is
    assert g.attempt("mum", "203.0.113.9", device="phone").allowed
    assert g.attempt("mum", "203.0.113.9").allowed  # its failures spent no budget


def test_unknown_and_known_names_are_counted_alike():
    """Finding 3: every unknown name was one subject, so after a few junk names an unknown
    name said "too many" where a real one said "4 more tries"."""
    g = guard(Clock())
    for i in range(5):
        fail(g, f"junk{i}", "203.0.113.9")
    assert g.attempt("mum", "203.0.113.9").left == g.attempt("nobody", "203.0.113.9").left == 4


def test_device_cookies_name_one_user_and_cannot_be_forged():
    clock = Clock()
    devices = KnownDevices(b"k" * 32, clock=clock)
    cookie = devices.cookie_value("mum")
    device = devices.device_for(cookie, "mum")
    assert device and device != devices.device_for(devices.cookie_value("mum"), "mum")
    assert devices.device_for(cookie, "dad") is None
    assert KnownDevices(b"x" * 32, clock=clock).device_for(cookie, "mum") is None
    assert devices.device_for(cookie[:-2] + "xx", "mum") is None
    assert devices.device_for(None, "mum") is None and devices.device_for("a" * 5000, "mum") is None
    clock.now += 401 * 24 * 3600
    assert devices.device_for(cookie, "mum") is None


def test_password_checks_are_bounded_per_second():
    clock = Clock(0.0)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    rate = CheckRate(per_second=4, burst=8, clock=clock, sleep=sleep)
    assert all(rate.take(wait=0) for _ in range(8))  # a burst, at once
    assert not rate.take(wait=0)  # then no more without waiting
    assert rate.take(wait=1) and slept == [0.25]  # the next token a quarter of a second later
    taken = sum(rate.take(wait=0) for _ in range(100))
    clock.now += 10
    taken += sum(rate.take(wait=0) for _ in range(100))
    assert taken == 8  # ten seconds refill the burst, never more
