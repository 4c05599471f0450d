"""The throttle: counted before the check, per subject and client, IPv6 per /64, and the
client address behind proxies (every X-Forwarded-For line, from --trusted_proxies only)."""

from __future__ import annotations

import threading

from homemovies_core.cache import LocalCache
from homemovies_core.throttle import (
    Throttle,
    client_address,
    client_key,
    forwarded_https,
    from_trusted_proxy,
)
from tests.support.clock import Clock


def test_five_attempts_then_a_wait_per_user_and_address():
    clock = Clock(1000.0)
    t = Throttle(LocalCache(timer=clock))
    left = [t.attempt("Mum", "203.0.113.9") for _ in range(5)]
    assert [a.left for a in left] == [4, 3, 2, 1, 0] and all(a.allowed for a in left)
    refused = t.attempt("mum", "203.0.113.9")
    assert not refused.allowed and 0 < refused.wait <= 900
    assert t.attempt("mum", "192.0.2.1").allowed  # the family at home is not locked out
    assert t.attempt("dad", "203.0.113.9").allowed
    clock.now += 901
    assert t.attempt("mum", "203.0.113.9").allowed


def test_success_forgets_the_count():
    t = Throttle(LocalCache())
    for _ in range(4):
        t.attempt("mum", "a")
    t.succeeded("mum", "a")
    assert t.attempt("mum", "a").left == 4


def test_parallel_guesses_get_no_more_than_the_limit():
    """Counting first: 40 sessions guessing at once get 5 checks between them, not 40."""
    t = Throttle(LocalCache())
    allowed = []
    barrier = threading.Barrier(40)

    def guess():
        barrier.wait()
        allowed.append(t.attempt("mum", "203.0.113.9").allowed)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert allowed.count(True) == 5


def test_ipv6_counts_per_64():
    t = Throttle(LocalCache())
    for i in range(5):
        assert t.attempt("mum", f"2001:db8:1:2::{i + 1:x}").allowed
    assert not t.attempt("mum", "2001:db8:1:2:ffff::9").allowed  # same /64
    assert t.attempt("mum", "2001:db8:1:3::1").allowed  # another /64
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"


def test_lookups_cost_nothing_until_they_miss():
    t = Throttle(LocalCache(), max_failures=3)
    for _ in range(10):  # a family opening a good share link, again and again
        assert t.blocked("*", "a") == 0
    t.failed("*", "a")
    t.failed("*", "a")
    for _ in range(10):  # two misses of three: lookups still count nothing
        assert t.blocked("*", "a") == 0
    t.failed("*", "a")  # the third miss
    assert t.blocked("*", "a") > 0 and t.blocked("*", "b") == 0


def test_forwarded_for_only_from_trusted_proxies():
    lines = ["198.51.100.7, 10.0.0.5"]
    assert client_address("203.0.113.1", lines, []) == "203.0.113.1"
    assert client_address("203.0.113.1", lines, ["10.0.0.0/8"]) == "203.0.113.1"
    assert client_address("10.0.0.2", lines, ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_address("10.0.0.2", [], ["10.0.0.0/8"]) == "10.0.0.2"


def test_every_forwarded_for_line_is_read_right_to_left():
    """A client's own X-Forwarded-For line survives a proxy that appends a second line: only
    the right-most entries, written by our proxies, are believed."""
    lines = ["1.2.3.4", "203.0.113.50"]  # the client's forgery, then the proxy's line
    assert client_address("10.0.0.2", lines, ["10.0.0.0/8"]) == "203.0.113.50"
    assert client_address("10.0.0.2", ["not-an-ip, 203.0.113.50"], ["10.0.0.0/8"]) == "203.0.113.50"


def test_loopback_is_no_proxy_unless_named():
    """Issue 16 finding 5: behind a same-host forwarder that adds no header (ssh -R, stunnel,
    socat) a client's own X-Forwarded-For became its address. Loopback is a peer like any
    other now; an operator whose proxy is on this machine names it in --trusted_proxies."""
    assert client_address("127.0.0.1", ["203.0.113.50"], []) == "127.0.0.1"
    assert client_address("::1", ["2001:db8::7"], []) == "::1"
    assert client_address("127.0.0.1", ["203.0.113.50"], ["127.0.0.1"]) == "203.0.113.50"
    assert client_address(None, [], []) == "unknown"


def test_one_rule_for_who_is_a_trusted_proxy():
    """Only the configured networks; an IPv4-mapped peer counts as its IPv4 address."""
    assert not from_trusted_proxy("127.0.0.1", []) and not from_trusted_proxy("::1", [])
    assert from_trusted_proxy("::ffff:127.0.0.1", ["127.0.0.1"])  # a dual-stack socket's peer
    assert from_trusted_proxy("::ffff:10.0.0.2", ["10.0.0.0/8"])
    assert not from_trusted_proxy("203.0.113.1", ["10.0.0.0/8"])
    assert not from_trusted_proxy(None, []) and not from_trusted_proxy("unknown", ["10.0.0.0/8"])


def test_forwarded_https_is_the_right_most_entry_from_a_trusted_proxy():
    proxies = ["10.0.0.0/8"]
    assert forwarded_https("10.0.0.2", ["https"], proxies)
    assert forwarded_https("10.0.0.2", ["http", "https"], proxies)  # the proxy's line is last
    assert not forwarded_https("10.0.0.2", ["https, http"], proxies)  # a client's own, then ours
    assert not forwarded_https("10.0.0.2", [], proxies)
    assert not forwarded_https("203.0.113.1", ["https"], proxies)
    assert not forwarded_https("127.0.0.1", ["https"], [])
