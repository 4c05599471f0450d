"""Login throttling per (username, client address), kept in the Cache.

After `max_failures` failed attempts for one username from one address within `window`
seconds, that address may not try that username for `window` seconds. Keying on the
address too means a stranger hammering "mum" from elsewhere cannot lock mum out
(Jellyfin's account lockout can be abused exactly that way).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping, Sequence

from .cache import Cache


class LoginThrottle:
    """`scope` separates uses of the same rule (logins, share links, pairing codes), so a
    stranger guessing share tokens never counts against anyone's password attempts."""

    def __init__(self, cache: Cache, *, max_failures: int = 5, window_seconds: float = 900,
                 scope: str = "login") -> None:
        self.cache = cache
        self.max_failures = max_failures
        self.window = window_seconds
        self.scope = scope

    def _id(self, username: str, address: str) -> str:
        # Hashed so the cache never holds a list of user names and addresses in clear.
        return hashlib.sha256(f"{username.strip().lower()}\x00{address}".encode()).hexdigest()[:32]

    def locked_for(self, username: str, address: str) -> float:
        """Seconds this address must still wait before trying this username (0 = may try)."""
        remaining = self.cache.ttl(f"{self.scope}-lock:" + self._id(username, address))
        return remaining or 0.0

    def record_failure(self, username: str, address: str) -> int:
        """Count a failure; returns how many attempts are left before the lock (0 = locked)."""
        ident = self._id(username, address)
        count = self.cache.incr(f"{self.scope}-fail:" + ident, self.window)
        if count >= self.max_failures:
            self.cache.set(f"{self.scope}-lock:" + ident, "1", self.window)
            self.cache.delete(f"{self.scope}-fail:" + ident)
        return max(0, self.max_failures - count)

    def record_success(self, username: str, address: str) -> None:
        self.cache.delete(f"{self.scope}-fail:" + self._id(username, address))


def client_address(remote: str | None, headers: Mapping[str, str],
                   trusted_proxies: Sequence[str]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy, in which case the
    right-most X-Forwarded-For entry that is not itself a trusted proxy."""
    remote = (remote or "unknown").strip()
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    if not networks or not _in(remote, networks):
        return remote
    forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, networks):
            return hop
    return hops[0] if hops else remote


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)
