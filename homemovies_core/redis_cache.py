"""Redis as the Cache (every command works on Redis 5 and newer), the fail-over to the
in-process cache when Redis cannot be reached, and `SharedOnly`: Redis alone, for security
state that must never live in one replica's memory.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .cache import _FOREVER, Cache, CacheUnavailable, LocalCache
from .observability.metrics import CACHE_DEGRADED, CACHE_REQUESTS

log = logging.getLogger(__name__)


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

        options: dict[str, Any] = dict(
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            decode_responses=True,
            health_check_interval=30,
            protocol=2,
        )
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

    def get_many(self, keys: list[str]) -> list[str | None]:
        # One MGET instead of a round trip per key: a page of cards asks for 24 positions.
        return list(self._client.mget(keys)) if keys else []

    def set(self, key: str, value: str, ttl: float) -> None:
        self._client.set(key, value, px=_ms(ttl))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self._client.set(key, value, px=_ms(ttl), nx=True))

    def replace(self, key: str, value: str, ttl: float) -> bool:
        # SET XX: one command, so nothing can delete the key between a check and the write.
        return bool(self._client.set(key, value, px=_ms(ttl), xx=True))

    def renew(self, key: str, value: str, ttl: float) -> bool:
        # WATCH, read, MULTI/SET/EXEC: the write happens only if nobody wrote the key since
        # it was read, so a holder cannot overwrite a lease another one took meanwhile.
        from redis.exceptions import WatchError

        with self._client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if pipe.get(key) != value:
                    return False
                pipe.multi()
                pipe.set(key, value, px=_ms(ttl))
                pipe.execute()
                return True
            except WatchError:  # written meanwhile: not ours any more
                return False

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
        # Read to the end here: scan_iter is lazy, so an unreachable Redis would raise only
        # in the caller's loop, past the fail-over's error handling (which would have called
        # Redis healthy).
        return iter(list(self._client.scan_iter(match=pattern, count=500)))

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
                policy = (self._client.config_get("maxmemory-policy") or {}).get("maxmemory-policy")
            except redis.exceptions.ResponseError:  # CONFIG refused, as managed services may
                policy = None
        return RedisFacts(
            version=None if version is None else str(version),
            maxmemory_policy=None if policy is None else str(policy),
        )


class _Routed:
    """The Cache operations, each handed to `_call(name, *args)`, which decides where it goes."""

    def _call(self, name: str, *args):
        raise NotImplementedError

    def get(self, key: str) -> str | None:
        return _counted([self._call("get", key)])[0]

    def get_many(self, keys: list[str]) -> list[str | None]:
        return _counted(self._call("get_many", list(keys)))

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", key, value, ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        return self._call("add", key, value, ttl)

    def replace(self, key: str, value: str, ttl: float) -> bool:
        return self._call("replace", key, value, ttl)

    def renew(self, key: str, value: str, ttl: float) -> bool:
        return self._call("renew", key, value, ttl)

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

    def __init__(
        self,
        primary: RedisCache,
        fallback: LocalCache | None = None,
        retry_seconds: float = 15.0,
        timer=time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback or LocalCache()
        self._retry_seconds = retry_seconds
        self._timer = timer
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None
        # The gauge reads this cache's own state when scraped (the process has one cache; in
        # tests the newest one), so it can never disagree with `degraded`.
        CACHE_DEGRADED.set_function(lambda: float(self.degraded))

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
            skip = (
                self._down_since is not None
                and self._timer() - self._down_since < self._retry_seconds
            )
        if skip:
            return self._UNSET
        try:
            result = getattr(self.primary, name)(*args)
        except self.primary.errors as exc:
            CACHE_REQUESTS.labels(result="error").inc()
            with self._lock:
                if self._down_since is None:
                    log.warning(
                        "Redis is unreachable (%s); using the in-process cache.", type(exc).__name__
                    )
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


def _counted(found: list[str | None]) -> list[str | None]:
    """Reads for /metrics: a hit per value found, a miss per key without one."""
    hits = sum(value is not None for value in found)
    CACHE_REQUESTS.labels(result="hit").inc(hits)
    CACHE_REQUESTS.labels(result="miss").inc(len(found) - hits)
    return found


def _ms(ttl: float) -> int:
    return max(1, math.ceil((ttl if ttl and ttl > 0 else _FOREVER) * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def make_cache(redis_url: str | None, *, insecure_tls: bool = False) -> Cache:
    """The in-process cache, or Redis with it as the fallback."""
    if not redis_url:
        return LocalCache()
    return FailoverCache(RedisCache(redis_url, insecure_tls=insecure_tls))
