"""The hourly clean-up of uploads nobody will finish: partial files (local), write PARs and
unfinished multipart uploads (OCI). One replica sweeps per hour (a lock in the Cache); each
replica asks every few minutes whether a sweep is due, on a daemon thread."""

from __future__ import annotations

import logging
import secrets
import threading

from ..cache import Cache, CacheUnavailable
from ..storage.base import StorageError
from .records import UploadStore
from .targets import Target

log = logging.getLogger(__name__)

SWEEP_SECONDS = 3600
CHECK_SECONDS = 300


class Sweeper:
    def __init__(self, store: UploadStore, target: Target, scope: str) -> None:
        self.store, self.target, self.scope = store, target, scope
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> int:
        """Clean up now; returns how many things were deleted or aborted."""
        done = self.target.sweep(self.store.everyone())
        if done:
            log.info("Upload sweep: %d abandoned upload(s) cleaned up.", done)
        return done

    def sweep_if_due(self, cache: Cache) -> bool:
        if not cache.add(f"upload-sweep:{self.scope}", secrets.token_hex(8), SWEEP_SECONDS):
            return False
        self.sweep()
        return True

    def start(self, cache: Cache, check_every: float = CHECK_SECONDS) -> None:
        if self._thread is not None and self._thread.is_alive():
            return

        def run() -> None:  # at start-up too: a restart may have left uploads behind
            while True:
                try:
                    self.sweep_if_due(cache)
                except (CacheUnavailable, StorageError, OSError) as exc:
                    log.warning("Upload sweep failed: %s", type(exc).__name__)
                if self._stop.wait(check_every):
                    return

        self._thread = threading.Thread(target=run, name="upload-sweep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
