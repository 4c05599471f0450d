"""One worker at a time per job: a lease in the Cache, renewed while the job runs.

The queue may hand a job to a second worker while the first still runs it (after a Redis
outage longer than the heartbeat timeout every worker looks dead for a moment). The second
finds the lease taken and tries again later instead of encoding the same video twice. A
killed worker renews nothing: its lease runs out (`LEASE_SECONDS`) before the queue gives
its job to another worker (queue.HEARTBEAT_TIMEOUT_MS is longer).
"""

from __future__ import annotations

import logging
import secrets
import threading

from ..cache import Cache
from .errors import Transient

log = logging.getLogger(__name__)

LEASE_SECONDS = 20.0
RENEW_SECONDS = LEASE_SECONDS / 4


class Lease:
    def __init__(self, cache: Cache, job_id: str, seconds: float = LEASE_SECONDS) -> None:
        self.cache = cache
        self.key = f"jobs:lease:{job_id}"
        self.seconds = seconds
        self.token = secrets.token_hex(8)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> Lease:
        if not self.cache.add(self.key, self.token, self.seconds):
            raise Transient("Another worker is processing this upload.", self.seconds, shown=False)
        self._renewer = threading.Thread(target=self._renew, name="job-lease", daemon=True)
        self._renewer.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            try:
                self.cache.set(self.key, self.token, self.seconds)
            except Exception as exc:  # Redis down: the job goes on; the lease may lapse
                log.warning("The job's lease could not be renewed (%s).", type(exc).__name__)

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            if self.cache.get(self.key) == self.token:
                self.cache.delete(self.key)
        except Exception:  # it runs out by itself
            pass
