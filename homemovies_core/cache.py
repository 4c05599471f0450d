"""The one Cache interface: in-process (default) or Redis, with fail-over.

Everything shared between sessions and replicas lives here: playback URLs,
listings, login failures, shares, pairing codes, watch progress. Values are
strings (callers store JSON); every entry has a time to live.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import cachetools

log = logging.getLogger(__name__)

_FOREVER = 10 * 365 * 24 * 3600.0


class Cache(Protocol):
    kind: str

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: float) -> None: ...
    def add(self, key: str, value: str, ttl: float) -> bool: ...  # only if absent
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
        return json.loads(raw)
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
    "share": DURABLE, "session": DURABLE, "sessions": DURABLE, "session-handoff": DURABLE,
    "session-handoff-used": DURABLE, "progress": DURABLE, "progress-recent": DURABLE,
    "users": DURABLE,
    "pair": PAIRING, "pair-claimed": PAIRING, "pair-wrong": PAIRING,
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
    DURABLE: 1_000_000, PAIRING: 100_000, THROTTLE: 100_000, ORDINARY: 200_000,
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

    def __init__(self, *, bounds: Mapping[str, int] | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        sizes = {**REGION_BOUNDS, **(bounds or {})}
        if set(sizes) != set(REGION_BOUNDS):
            raise ValueError(f"unknown cache regions: {sorted(set(sizes) - set(REGION_BOUNDS))}")
        # TLRU: each entry carries its own expiry, so one table serves every TTL; expired
        # entries go first, then the least recently used of the same region.
        self._regions: dict[str, cachetools.TLRUCache] = {
            name: cachetools.TLRUCache(maxsize=size, ttu=lambda _k, v, _now: v[0], timer=timer)
            for name, size in sizes.items()}
        self._lock = threading.RLock()

    def _table(self, key: str) -> cachetools.TLRUCache:
        return self._regions[region_of(key)]

    def _expiry(self, ttl: float) -> float:
        return self._timer() + (ttl if ttl and ttl > 0 else _FOREVER)

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._table(key).get(key)
            return None if entry is None else entry[1]

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


def redis_url_from_setting(value: str) -> str:
    """A bare host name means OCI Cache: TLS only, on port 6379."""
    if "://" in value:
        return value
    host = value.strip().rstrip("/")
    return f"rediss://{host}" if ":" in host else f"rediss://{host}:6379"


@dataclass(frozen=True)
class RedisFacts:
    """What `check` reports about a Redis server; None where the server would not say."""

    version: str | None
    maxmemory_policy: str | None


class RedisCache:
    """Every command here works on Redis 5 and newer (OCI Cache, Debian, older hosts alike).

    RESP2 on purpose: redis-py would otherwise open each connection with HELLO 3, which
    Redis 5 does not know, so no command at all would reach it."""

    kind = "redis"

    def __init__(self, url: str, *, insecure_tls: bool = False, timeout: float = 2.0) -> None:
        import redis  # imported here so the default install path never needs a server

        options: dict[str, Any] = dict(socket_connect_timeout=timeout, socket_timeout=timeout,
                                       decode_responses=True, health_check_interval=30,
                                       protocol=2)
        full_url = redis_url_from_setting(url)
        if full_url.startswith("rediss://") and insecure_tls:
            options["ssl_cert_reqs"] = "none"
        self._client = redis.Redis.from_url(full_url, **options)
        # Anything Redis says instead of an answer (unreachable, timed out, out of memory under
        # `noeviction`, something else answering on the port) means "use the fallback".
        self._errors = (redis.exceptions.RedisError,)

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        return self._errors

    def get(self, key: str) -> str | None:
        return self._client.get(key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._client.set(key, value, px=_ms(ttl))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self._client.set(key, value, px=_ms(ttl), nx=True))

    def delete(self, key: str) -> None:
        self._client.delete(key)

    def incr(self, key: str, ttl: float) -> int:
        # The first increment creates the counter with its time to live (SET NX PX); later
        # ones keep it (INCR never touches a TTL), so the window starts with the first
        # failure. MULTI makes the pair atomic; PEXPIRE's NX flag would need Redis 7, and
        # on Redis 6 the whole transaction failed, which switched every throttle off.
        pipe = self._client.pipeline(transaction=True)
        pipe.set(key, "0", px=_ms(ttl), nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
        return int(count)

    def ttl(self, key: str) -> float | None:
        ms = self._client.pttl(key)
        return None if ms is None or ms == -2 else (None if ms < 0 else ms / 1000.0)

    def scan(self, prefix: str) -> Iterator[str]:
        pattern = _glob_escape(prefix) + "*"
        return self._client.scan_iter(match=pattern, count=500)

    def ping(self) -> bool:
        return bool(self._client.ping())

    def facts(self) -> RedisFacts:
        """The server's version and eviction policy, read as a managed service allows:
        INFO first, CONFIG GET when INFO leaves the policy out. Raises only when the server
        cannot be reached."""
        import redis

        try:
            info = self._client.info()
        except redis.exceptions.ResponseError:  # INFO refused (an ACL)
            info = {}
        version = info.get("redis_version")
        policy = info.get("maxmemory_policy")
        if policy is None:
            try:
                policy = (self._client.config_get("maxmemory-policy") or {}).get(
                    "maxmemory-policy")
            except redis.exceptions.ResponseError:  # CONFIG refused, as managed services may
                policy = None
        return RedisFacts(version=None if version is None else str(version),
                          maxmemory_policy=None if policy is None else str(policy))


class _Routed:
    """The Cache operations, each handed to `_call(name, *args)`, which decides where it goes."""

    def _call(self, name: str, *args):
        raise NotImplementedError

    def get(self, key: str) -> str | None:
        return self._call("get", key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", key, value, ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        return self._call("add", key, value, ttl)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def incr(self, key: str, ttl: float) -> int:
        return self._call("incr", key, ttl)

    def ttl(self, key: str) -> float | None:
        return self._call("ttl", key)

    def scan(self, prefix: str) -> Iterator[str]:
        return iter(list(self._call("scan", prefix)))


class FailoverCache(_Routed):
    """Redis first; when it cannot be reached, the in-process cache keeps the app serving.

    Redis is tried again at most every `retry_seconds`, so a Redis restart heals
    by itself and a dead Redis does not cost every request a connect timeout.
    """

    def __init__(self, primary: RedisCache, fallback: LocalCache | None = None,
                 retry_seconds: float = 15.0, timer=time.monotonic) -> None:
        self.primary = primary
        self.fallback = fallback or LocalCache()
        self._retry_seconds = retry_seconds
        self._timer = timer
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    @property
    def kind(self) -> str:
        return "redis"

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    _UNSET = object()

    def _try_primary(self, name: str, *args):
        """Redis's answer, or `_UNSET` when it is down (then not asked again for a while)."""
        with self._lock:
            skip = self._down_since is not None and \
                self._timer() - self._down_since < self._retry_seconds
        if skip:
            return self._UNSET
        try:
            result = getattr(self.primary, name)(*args)
        except self.primary.errors as exc:
            with self._lock:
                if self._down_since is None:
                    log.warning("Redis is unreachable (%s); using the in-process cache.",
                                type(exc).__name__)
                self._down_since = self._timer()
                self.last_error = type(exc).__name__
            return self._UNSET
        with self._lock:
            if self._down_since is not None:
                log.warning("Redis is reachable again.")
            self._down_since = None
        return result

    def _call(self, name: str, *args):
        result = self._try_primary(name, *args)
        return getattr(self.fallback, name)(*args) if result is self._UNSET else result

    def ping(self) -> bool:
        try:
            ok = self.primary.ping()
        except self.primary.errors:
            ok = False
        with self._lock:
            self._down_since = None if ok else (self._down_since or self._timer())
        return ok


class CacheUnavailable(Exception):
    """The shared cache cannot be reached: security state can be neither read nor changed."""

    def __init__(self, what: str = "This") -> None:
        super().__init__(f"{what} is not possible right now: the shared cache (Redis) cannot "
                         f"be reached. Try again in a minute.")


class SharedOnly(_Routed):
    """A FailoverCache's Redis with no in-process fallback, for security state: login
    sessions, share links, device codes, throttles. Kept in one replica's memory during an
    outage, a revocation would be undone and a lock forgotten when Redis returns (the other
    replicas never saw them); so while Redis is down, these raise CacheUnavailable and the
    page says so in one sentence, instead of silently diverging."""

    kind = "redis"

    def __init__(self, failover: FailoverCache) -> None:
        self._failover = failover

    def _call(self, name: str, *args):
        result = self._failover._try_primary(name, *args)
        if result is FailoverCache._UNSET:
            raise CacheUnavailable()
        return result

    def ping(self) -> bool:
        return self._failover.ping()


def shared_only(cache: Cache) -> Cache:
    """The cache to keep security state in: Redis alone when there is one (see SharedOnly);
    the in-process cache itself when it is the only one (one replica: nothing to diverge)."""
    return SharedOnly(cache) if isinstance(cache, FailoverCache) else cache


def make_cache(redis_url: str | None, *, insecure_tls: bool = False) -> Cache:
    if not redis_url:
        return LocalCache()
    return FailoverCache(RedisCache(redis_url, insecure_tls=insecure_tls))


def _ms(ttl: float) -> int:
    return max(1, math.ceil((ttl if ttl and ttl > 0 else _FOREVER) * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
