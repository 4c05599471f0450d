"""Device login with a phone: codes, the pending → approved → used state machine, expiry, caps."""

from __future__ import annotations

import pytest

from homemovies_core import pairing
from homemovies_core.cache import LocalCache
from homemovies_core.pairing import (
    ALPHABET,
    CODE_SECONDS,
    MAX_PER_CLIENT,
    WRONG_CHECKS,
    Approval,
    Pairing,
    PairingBusy,
    State,
    Ticket,
    describe_device,
    display_code,
    guess_throttle,
    network_clue,
    normalise_code,
)
from tests.support.clock import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def pairs(clock):
    return Pairing(LocalCache(timer=clock), clock=clock)


def test_codes_are_eight_unambiguous_characters(pairs):
    codes = {pairs.start("TV", f"10.0.{i}.1").code for i in range(100)}
    assert len(codes) == 100
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01OIL") & set(ALPHABET)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("ABCD-EFGH", "ABCDEFGH"),
        ("abcd efgh", "ABCDEFGH"),
        (" abcdefgh ", "ABCDEFGH"),
        ("ABCD-EFG", None),
        ("ABCD-EFGO", None),
        ("ABCD-EFG1", None),
        ("", None),
    ],
)
def test_typed_codes_are_normalised(typed, expected):
    assert normalise_code(typed) == expected


def test_display_code():
    assert display_code("ABCDEFGH") == "ABCD-EFGH"


def test_pending_approved_claimed_once(pairs):
    ticket = pairs.start("Samsung Internet on a Samsung TV", "198.51.100.7")
    request = pairs.lookup(display_code(ticket.code).lower())
    assert request.state is State.PENDING
    assert (request.device, request.address) == ("Samsung Internet on a Samsung TV", "198.51.100.7")
    assert pairs.claim(ticket) is None  # nobody approved yet
    assert pairs.approve(ticket.code, "mum", ticket.check) is Approval.APPROVED
    approved = pairs.lookup(ticket.code)
    assert approved.state is State.APPROVED and approved.approved_by == "mum"
    assert pairs.claim(ticket) == "mum"
    assert pairs.claim(ticket) is None  # single use
    assert pairs.lookup(ticket.code) is None
    assert pairs.approve(ticket.code, "mum", ticket.check) is Approval.GONE


def test_only_the_device_that_asked_can_claim(pairs):
    ticket = pairs.start("TV", "198.51.100.7")
    pairs.approve(ticket.code, "mum", ticket.check)
    thief = Ticket(code=ticket.code, secret="guessed", expires=ticket.expires)
    assert pairs.claim(thief) is None
    assert pairs.claim(ticket) == "mum"


def test_codes_expire_after_ten_minutes_and_approval_does_not_extend_them(pairs, clock):
    ticket = pairs.start("TV", "198.51.100.7")
    clock.now += CODE_SECONDS - 60
    assert pairs.approve(ticket.code, "mum", ticket.check) is Approval.APPROVED
    clock.now += 61
    assert pairs.lookup(ticket.code) is None
    assert pairs.claim(ticket) is None
    late = pairs.start("TV", "198.51.100.7")
    clock.now += CODE_SECONDS + 1
    assert pairs.approve(late.code, "mum", late.check) is Approval.GONE


def test_cancel_makes_a_code_unapprovable(pairs):
    ticket = pairs.start("TV", "198.51.100.7")
    pairs.cancel(Ticket(ticket.code, "not the secret", ticket.expires))
    assert pairs.lookup(ticket.code) is not None  # only its own device may cancel it
    pairs.cancel(ticket)
    assert pairs.lookup(ticket.code) is None


def test_starting_codes_is_capped_per_client_not_globally(pairs, clock):
    """A few flooding addresses cannot crowd out a real TV: the cap is per client (IPv6 per
    /64), and only a far larger overall bound limits memory."""
    for _ in range(MAX_PER_CLIENT):
        pairs.start("TV", "203.0.113.66")
    with pytest.raises(PairingBusy):
        pairs.start("TV", "203.0.113.66")
    for i in range(MAX_PER_CLIENT):
        pairs.start("TV", f"2001:db8:0:1::{i + 1}")
    with pytest.raises(PairingBusy):
        pairs.start("TV", "2001:db8:0:1::ffff")  # the same /64
    for i in range(50):  # fifty flooders each at their cap...
        for _ in range(MAX_PER_CLIENT):
            pairs.start("TV", f"198.18.{i}.1")
    pairs.start("TV", "198.51.100.7")  # ...and the family's TV still gets a code
    clock.now += CODE_SECONDS + 1  # the window passes
    pairs.start("TV", "203.0.113.66")


def test_overall_bound(monkeypatch, clock):
    monkeypatch.setattr(pairing, "MAX_PENDING", 5)
    pairs = Pairing(LocalCache(timer=clock), clock=clock)
    for i in range(5):
        pairs.start("TV", f"10.0.{i}.1")
    with pytest.raises(PairingBusy):
        pairs.start("TV", "10.0.99.1")


def test_the_check_number_from_the_screen_is_needed(pairs):
    """The phishing case: the link (code) alone approves nothing; wrong numbers burn it."""
    ticket = pairs.start("TV", "198.51.100.7")
    wrong = f"{(int(ticket.check) + 1) % 1000:03d}"
    for _ in range(WRONG_CHECKS - 1):
        assert pairs.approve(ticket.code, "mum", wrong) is Approval.WRONG_NUMBER
    assert pairs.approve(ticket.code, "mum", "") is Approval.GONE  # the third wrong one
    assert pairs.lookup(ticket.code) is None
    assert pairs.approve(ticket.code, "mum", ticket.check) is Approval.GONE
    assert pairs.claim(ticket) is None
    assert len(ticket.check) == 3 and ticket.check.isdigit()
    assert ticket.check not in ticket.code


def test_network_clue():
    assert network_clue("198.51.100.7", "198.51.100.20") == "on the same network as this phone"
    assert network_clue("2001:db8:1:2::5", "2001:db8:1:2::9") == "on the same network as this phone"
    assert "internet — not on this phone's network" in network_clue("9.9.9.9", "198.51.100.20")
    assert "private" in network_clue("192.168.1.20", "198.51.100.20")
    assert "cannot place" in network_clue("garbage", "198.51.100.20")


def test_guessing_codes_is_throttled():
    throttle = guess_throttle(LocalCache())
    for _ in range(9):
        throttle.failed("mum", "203.0.113.5")
    assert throttle.blocked("mum", "203.0.113.5") == 0
    throttle.failed("mum", "203.0.113.5")
    assert throttle.blocked("mum", "203.0.113.5") > 0


def test_corrupt_entries_are_no_code(pairs):
    pairs.cache.set("pair:ABCDEFGH", "{not json", 60)
    assert pairs.lookup("ABCDEFGH") is None
    pairs.cache.set("pair:ABCDEFGH", '{"e": "soon"}', 60)
    assert pairs.lookup("ABCDEFGH") is None


@pytest.mark.parametrize(
    "agent, summary",
    [
        (
            "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/4.0 Chrome/76.0 TV Safari/537.36",
            "Samsung Internet on a Samsung TV",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari on an iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
            "Firefox on Linux",
        ),
        (None, "an unknown device"),
    ],
)
def test_describe_device(agent, summary):
    assert describe_device(agent) == summary


def test_the_same_flow_on_redis(tmp_path):
    from homemovies_core.redis_cache import FailoverCache, RedisCache
    from tests.support.redis_server import start_redis, stop

    proc, url = start_redis(tmp_path)
    try:
        clock = Clock()
        pairs = Pairing(FailoverCache(RedisCache(url)), clock=clock)
        ticket = pairs.start("TV", "198.51.100.7")
        assert 590 < pairs.cache.ttl(f"pair:{ticket.code}") <= 600
        clock.now += 400  # the phone approves 400 s into the code's ten minutes
        assert pairs.approve(ticket.code, "mum", ticket.check) is Approval.APPROVED
        # Approval keeps the deadline: 200 s are left, not ten minutes again.
        assert 190 < pairs.cache.ttl(f"pair:{ticket.code}") <= 200
        assert pairs.claim(Ticket(ticket.code, "wrong", ticket.expires)) is None
        assert pairs.claim(ticket) == "mum"
        assert pairs.claim(ticket) is None
    finally:
        stop(proc)
