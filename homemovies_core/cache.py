"""The one Cache interface, and the in-process cache (the default, one replica).

Everything shared between sessions and replicas lives in a Cache: playback URLs,
listings, login sessions, failures, shares, pairing codes, watch progress. Values are
strings (callers store JSON); every entry has a time to live. Redis, and the fail-over
between it and this in-process cache, are in redis_cache.py.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import cachetools

from . import safe_json

log = logging.getLogger(__name__)

_FOREVER = 10 * 365 * 24 * 3600.0


class Cache(Protocol):
    kind: str

    def get(self, key: str) -> str | None: ...
    def get_many(self, keys: list[str]) -> list[str | None]: ...  # one round trip
    def set(self, key: str, value: str, ttl: float) -> None: ...
    def add(self, key: str, value: str, ttl: float) -> bool: ...  # only if absent
    def replace(self, key: str, value: str, ttl: float) -> bool: ...  # only if present
    def renew(self, key: str, value: str, ttl: float) -> bool: ...  # only if it holds value
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: float) -> int: ...  # ttl starts with the first increment
    def ttl(self, key: str) -> float | None: ...
    def scan(self, prefix: str) -> Iterator[str]: ...
    def ping(self) -> bool: ...


def get_json(cache: Cache, key: str) -> Any:
    raw = cache.get(key)
    return None if raw is None else get_json_text(raw)


def get_json_text(raw: str) -> Any:
    try:
        return safe_json.loads(raw)
    except ValueError:  # a corrupt entry is a miss, never a crash
        return None


def set_json(cache: Cache, key: str, value: Any, ttl: float) -> None:
    cache.set(key, json.dumps(value, separators=(",", ":")), ttl)


# Where each key lives in the in-process cache. Every region is its own bounded LRU, so a
# flood of one kind of entry can only push out entries of that same kind: ~200k failed
# logins with random user names used to evict every share link, session and resume point.
# A key's namespace is the text before its first ":"; one not named here is ORDINARY.
DURABLE = "durable"  # made by a logged-in person; losing one logs someone out or loses a link
PAIRING = "pairing"  # device codes and their counters: made by screens, capped per client
THROTTLE = "throttle"  # attempt counters (which are also the locks): one per client and subject
ORDINARY = "ordinary"  # rebuilt on a miss: listings, playback URLs, poster misses, sweeps

_REGION_OF_NAMESPACE = {
    "share": DURABLE,
    "session": DURABLE,
    "sessions": DURABLE,
    "session-handoff": DURABLE,
    "session-handoff-used": DURABLE,
    "progress": DURABLE,
    "progress-recent": DURABLE,
    "users": DURABLE,
    "upload": DURABLE,  # someone's upload under way: losing it loses where it got to
    "pair": PAIRING,
    "pair-claimed": PAIRING,
    "pair-wrong": PAIRING,
    "pair-started": THROTTLE,
}
# Throttle scopes ("login", "share-lookup", "share-password", "pair-guess") write
# "<scope>-fail:" (and once wrote "<scope>-lock:").
_THROTTLE_SUFFIXES = ("-fail", "-lock")

# Entries per region. Durable entries come only from the family itself (shares, sessions,
# a resume point per person and video), so their bound is one no family reaches. Pending
# device codes are capped at 20,000 per 10 minutes (pairing.MAX_PENDING), each with at most
# two companion entries, so theirs is not reached either. Throttle counters are one per
# client and subject: pushing a client's own count out takes as many other clients as the
# bound, who could each have guessed anyway.
REGION_BOUNDS: dict[str, int] = {
    DURABLE: 1_000_000,
    PAIRING: 100_000,
    THROTTLE: 100_000,
    ORDINARY: 200_000,
}


def region_of(key: str) -> str:
    """The region of the in-process cache that holds `key` (see REGION_BOUNDS)."""
    namespace = key.split(":", 1)[0]
    region = _REGION_OF_NAMESPACE.get(namespace)
    if region is not None:
        return region
    return THROTTLE if namespace.endswith(_THROTTLE_SUFFIXES) else ORDINARY


class LocalCache:
    """Thread-safe in-process cache with a time to live per entry, in bounded regions.

    `bounds` overrides entries per region (tests use small ones)."""

    kind = "local"

    def __init__(
        self,
        *,
        bounds: Mapping[str, int] | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timer = timer
        sizes = {**REGION_BOUNDS, **(bounds or {})}
        if set(sizes) != set(REGION_BOUNDS):
            raise ValueError(f"unknown cache regions: {sorted(set(sizes) - set(REGION_BOUNDS))}")
        # TLRU: each entry carries its own expiry, so one table serves every TTL; expired
        # entries go first, then the least recently used of the same region.
        self._regions: dict[str, cachetools.TLRUCache] = {
            name: cachetools.TLRUCache(maxsize=size, ttu=lambda _k, v, _now: v[0], timer=timer)
            for name, size in sizes.items()
        }
        self._lock = threading.RLock()

    def _table(self, key: str) -> cachetools.TLRUCache:
        return self._regions[region_of(key)]

    def _expiry(self, ttl: float) -> float:
        return self._timer() + (ttl if ttl and ttl > 0 else _FOREVER)

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._table(key).get(key)
            return None if entry is None else entry[1]

    def get_many(self, keys: list[str]) -> list[str | None]:
        with self._lock:
            return [self.get(key) for key in keys]

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._table(key)[key] = (self._expiry(ttl), value)

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            table = self._table(key)
            if table.get(key) is not None:
                return False
            table[key] = (self._expiry(ttl), value)
            return True

    def replace(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            table = self._table(key)
            if table.get(key) is None:
                return False
            table[key] = (self._expiry(ttl), value)
            return True

    def renew(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            table = self._table(key)
            entry = table.get(key)
            if entry is None or entry[1] != value:
                return False
            table[key] = (self._expiry(ttl), value)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._table(key).pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            table = self._table(key)
            entry = table.get(key)
            if entry is None:
                table[key] = (self._expiry(ttl), "1")
                return 1
            count = int(entry[1]) + 1
            table[key] = (entry[0], str(count))
            return count

    def ttl(self, key: str) -> float | None:
        with self._lock:
            entry = self._table(key).get(key)
            return None if entry is None else max(0.0, entry[0] - self._timer())

    def scan(self, prefix: str) -> Iterator[str]:
        with self._lock:
            keys = []
            for table in self._regions.values():
                table.expire()
                keys.extend(k for k in table.keys() if k.startswith(prefix))
        return iter(keys)

    def ping(self) -> bool:
        return True


class CacheUnavailable(Exception):
    """The shared cache cannot be reached: security state can be neither read nor changed."""

    def __init__(self, what: str = "This") -> None:
        super().__init__(
            f"{what} is not possible right now: the shared cache (Redis) cannot "
            f"be reached. Try again in a minute."
        )
