"""Any Storage, with each call of the protocol counted and timed for /metrics.

One wrapper around whichever backend the settings chose (services.build), so every caller —
the catalog, posters, playback grants — is measured the same way without knowing it. A
`StorageTimeout` counts as a timeout, any other `StorageError` as an error; a read that
finds nothing (None) is an answer, so it counts as ok.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ..observability.metrics import STORAGE_REQUEST_DURATION, STORAGE_REQUESTS
from .base import Grant, Listing, Storage, StorageTimeout

T = TypeVar("T")


def _measured(op: str, call: Callable[[], T]) -> T:
    outcome = "error"
    started = time.perf_counter()
    try:
        result = call()
        outcome = "ok"
        return result
    except StorageTimeout:
        outcome = "timeout"
        raise
    finally:
        STORAGE_REQUEST_DURATION.labels(op=op).observe(time.perf_counter() - started)
        STORAGE_REQUESTS.labels(op=op, outcome=outcome).inc()


class MeteredStorage:
    """`backend`, measured. Everything beyond the protocol's calls (the local backend's
    `authorize`, OCI's `write_small`, ...) passes through to the backend unmeasured."""

    def __init__(self, backend: Storage) -> None:
        self.backend = backend
        self.kind = backend.kind
        self.scope = backend.scope

    def list_level(self, prefix: str) -> Listing:
        return _measured("list", lambda: self.backend.list_level(prefix))

    def read_small(self, name: str, limit: int) -> bytes | None:
        return _measured("read", lambda: self.backend.read_small(name, limit))

    def grant(self, target: str, *, prefix: bool, expires_at: float) -> Grant:
        return _measured(
            "grant", lambda: self.backend.grant(target, prefix=prefix, expires_at=expires_at)
        )

    def ping(self) -> bool:
        return self.backend.ping()

    def routes(self) -> list:
        return self.backend.routes()

    def start_background(self, cache) -> None:
        self.backend.start_background(cache)

    def __getattr__(self, name: str):
        return getattr(self.backend, name)
