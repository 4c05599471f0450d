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
from collections.abc import Iterator
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


class LocalCache:
    """Thread-safe in-process cache with a time to live per entry."""

    kind = "local"

    def __init__(self, maxsize: int = 200_000, timer=time.monotonic) -> None:
        self._timer = timer
        # TLRU: each entry carries its own expiry, so one cache serves every TTL.
        self._data: cachetools.TLRUCache = cachetools.TLRUCache(
            maxsize=maxsize, ttu=lambda _k, v, _now: v[0], timer=timer)
        self._lock = threading.RLock()

    def _expiry(self, ttl: float) -> float:
        return self._timer() + (ttl if ttl and ttl > 0 else _FOREVER)

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._data.get(key)
            return None if entry is None else entry[1]

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._data[key] = (self._expiry(ttl), value)

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            if self._data.get(key) is not None:
                return False
            self._data[key] = (self._expiry(ttl), value)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self._data[key] = (self._expiry(ttl), "1")
                return 1
            count = int(entry[1]) + 1
            self._data[key] = (entry[0], str(count))
            return count

    def ttl(self, key: str) -> float | None:
        with self._lock:
            entry = self._data.get(key)
            return None if entry is None else max(0.0, entry[0] - self._timer())

    def scan(self, prefix: str) -> Iterator[str]:
        with self._lock:
            self._data.expire()
            keys = [k for k in self._data.keys() if k.startswith(prefix)]
        return iter(keys)

    def ping(self) -> bool:
        return True


def redis_url_from_setting(value: str) -> str:
    """A bare host name means OCI Cache: TLS only, on port 6379."""
    if "://" in value:
        return value
    host = value.strip().rstrip("/")
    return f"rediss://{host}" if ":" in host else f"rediss://{host}:6379"


class RedisCache:
    kind = "redis"

    def __init__(self, url: str, *, insecure_tls: bool = False, timeout: float = 2.0) -> None:
        import redis  # imported here so the default install path never needs a server

        options: dict[str, Any] = dict(socket_connect_timeout=timeout, socket_timeout=timeout,
                                       decode_responses=True, health_check_interval=30)
        full_url = redis_url_from_setting(url)
        if full_url.startswith("rediss://") and insecure_tls:
            options["ssl_cert_reqs"] = "none"
        self._client = redis.Redis.from_url(full_url, **options)
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

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
        pipe = self._client.pipeline()
        pipe.incr(key)
        pipe.pexpire(key, _ms(ttl), nx=True)  # only the first increment starts the window
        count, _ = pipe.execute()
        return int(count)

    def ttl(self, key: str) -> float | None:
        ms = self._client.pttl(key)
        return None if ms is None or ms == -2 else (None if ms < 0 else ms / 1000.0)

    def scan(self, prefix: str) -> Iterator[str]:
        pattern = _glob_escape(prefix) + "*"
        return self._client.scan_iter(match=pattern, count=500)

    def ping(self) -> bool:
        return bool(self._client.ping())


class FailoverCache:
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

    def _call(self, name: str, *args):
        with self._lock:
            skip = self._down_since is not None and \
                self._timer() - self._down_since < self._retry_seconds
        if not skip:
            try:
                result = getattr(self.primary, name)(*args)
            except self.primary.errors as exc:
                with self._lock:
                    if self._down_since is None:
                        log.warning("Redis is unreachable (%s); using the in-process cache.",
                                    type(exc).__name__)
                    self._down_since = self._timer()
                    self.last_error = type(exc).__name__
            else:
                with self._lock:
                    if self._down_since is not None:
                        log.warning("Redis is reachable again.")
                    self._down_since = None
                return result
        return getattr(self.fallback, name)(*args)

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

    def ping(self) -> bool:
        try:
            ok = self.primary.ping()
        except self.primary.errors:
            ok = False
        with self._lock:
            self._down_since = None if ok else (self._down_since or self._timer())
        return ok


def make_cache(redis_url: str | None, *, insecure_tls: bool = False) -> Cache:
    if not redis_url:
        return LocalCache()
    return FailoverCache(RedisCache(redis_url, insecure_tls=insecure_tls))


def _ms(ttl: float) -> int:
    return max(1, math.ceil((ttl if ttl and ttl > 0 else _FOREVER) * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
