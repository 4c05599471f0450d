"""Slowing down guessing: attempts per (subject, client) counted in the Cache.

A subject is what is being guessed at: a user name, a share link, a device code. The client
is the address the request came from, IPv6 counted per /64 (one home or phone gets a whole
/64, so per full address would give a guesser 2^64 tries). Keying on the client too means a
stranger hammering "mum" from elsewhere cannot lock mum out — Jellyfin's account lockout can
be abused exactly that way.

Two ways to use it:
- `attempt()` before checking a secret (a password): the attempt is counted *first*, in one
  atomic increment, so parallel sessions cannot each slip a guess in between a check and the
  recording of its failure. `succeeded()` forgets the count.
- `blocked()` before a cheap lookup (a share token) and `failed()` after a miss, where
  looking up a valid one must not cost anything.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .cache import Cache


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    left: int  # further attempts allowed after this one, if this one fails
    wait: float  # seconds until the client may try again (0 when allowed)


class Throttle:
    """`max_failures` attempts per subject and client in a `window` of seconds that starts
    with the first attempt; `scope` keeps uses apart (logins, share links, device codes), so
    a stranger guessing share tokens never counts against anyone's password attempts."""

    def __init__(
        self,
        cache: Cache,
        *,
        max_failures: int = 5,
        window_seconds: float = 900,
        scope: str = "login",
    ) -> None:
        self.cache = cache
        self.max_failures = max_failures
        self.window = window_seconds
        self.scope = scope

    def _key(self, subject: str, address: str) -> str:
        # Hashed so the cache never holds a list of user names and addresses in clear.
        ident = f"{subject.strip().lower()}\x00{client_key(address)}"
        return f"{self.scope}-fail:" + hashlib.sha256(ident.encode()).hexdigest()[:32]

    def attempt(self, subject: str, address: str) -> Attempt:
        """Count an attempt, then say whether it may go ahead."""
        key = self._key(subject, address)
        count = self.cache.incr(key, self.window)
        if count > self.max_failures:
            return Attempt(False, 0, self._wait(key))
        return Attempt(True, self.max_failures - count, 0.0)

    def succeeded(self, subject: str, address: str) -> None:
        self.cache.delete(self._key(subject, address))

    def blocked(self, subject: str, address: str) -> float:
        """Seconds this client must still wait for this subject (0 = may try)."""
        key = self._key(subject, address)
        raw = self.cache.get(key)
        if raw is None or not raw.isdigit() or int(raw) < self.max_failures:
            return 0.0
        return self._wait(key)

    def failed(self, subject: str, address: str) -> int:
        """Count a miss; returns how many are left before the client must wait."""
        return max(0, self.max_failures - self.cache.incr(self._key(subject, address), self.window))

    def _wait(self, key: str) -> float:
        return self.cache.ttl(key) or self.window


class CheckRate:
    """At most `per_second` expensive checks a second in this process, `burst` at once: a
    token bucket. `take` waits up to `wait` seconds for a token, so a few people logging in
    together are only delayed; past that it says no, and no check runs."""

    def __init__(
        self,
        per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_second, self.burst = per_second, burst
        self._clock, self._sleep = clock, sleep
        self._tokens, self._at = float(burst), clock()
        self._lock = threading.Lock()

    def take(self, wait: float = 5.0) -> bool:
        deadline = self._clock() + wait
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                until = (1 - self._tokens) / self.per_second
            if now + until > deadline:
                return False
            self._sleep(until)


def client_key(address: str) -> str:
    """What one client is for counting: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# -- who the client is, behind proxies ------------------------------------------------------
# Forwarded headers are believed only from a peer that --trusted_proxies names; nothing is
# trusted by default, this machine (loopback) included: behind a forwarder on the same host
# that adds no header of its own (ssh -R, stunnel, socat), a client's own forged line would
# otherwise become its address. (uvicorn's own reading of these headers is switched off:
# web/proxy_headers.py.)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Sequence[str]
) -> str:
    """The client's address: the connection's peer, unless that is a trusted proxy, in which
    case the right-most address in X-Forwarded-For that is not itself a trusted proxy. `forwarded_for` is every X-Forwarded-For header line: a client may send its
    own line, which a proxy that appends a new line instead of extending it lets through, so
    only the right-most entries — the ones our proxies wrote — are believed."""
    networks = _networks(trusted_proxies)
    address = (peer or "").strip() or "unknown"
    if not _in(address, networks):
        return address
    hops = [h.strip() for line in forwarded_for for h in str(line).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _valid(hop):
            break  # not written by a proxy we trust: nothing left of it can be believed
        if not _in(hop, networks):
            return hop
        address = hop
    return address


def from_trusted_proxy(peer: str | None, trusted_proxies: Sequence[str]) -> bool:
    """Whether the connection's peer is a proxy whose X-Forwarded-* headers are believed: one
    that --trusted_proxies names. The one rule for every forwarded header, so the client
    address, the cookie's Secure flag, HSTS and our own links never disagree about who is a
    proxy."""
    return _in((peer or "").strip(), _networks(trusted_proxies))


def forwarded_https(
    peer: str | None, forwarded_proto: Iterable[str], trusted_proxies: Sequence[str]
) -> bool:
    """Whether a trusted proxy says the browser reached it over HTTPS. `forwarded_proto` is
    every X-Forwarded-Proto header line; only the right-most entry, the one our proxy wrote, is
    believed (a client may send its own)."""
    if not from_trusted_proxy(peer, trusted_proxies):
        return False
    entries = [e.strip().lower() for line in forwarded_proto for e in str(line).split(",")]
    return bool(entries) and entries[-1] == "https"


def _networks(trusted_proxies: Sequence[str]) -> list:
    return [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; it is that IPv4 peer.
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)
