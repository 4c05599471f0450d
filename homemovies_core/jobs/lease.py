"""One worker at a time per job: a lease in the Cache, renewed while the job runs.

The queue may hand a job to a second worker while the first still runs it: after a Redis
outage longer than the heartbeat timeout (30 s) every worker looks dead for a moment, and
the first one's lease (20 s) has run out meanwhile. So the lease is held, not just set:
- renewing it, a worker extends it only while it still holds its own token, and takes it
  back when it ran out and nobody else took it (an outage shorter than the heartbeat);
  finding another worker's token, it knows it lost the job (`taken`);
- a worker that lost its job stops at its next progress report (the other one goes on),
  and nothing it does reaches the library or the job's status: `confirm()` asks Redis
  before an upload to the bucket starts and before the final status is written, and an
  upload stops once the lease has gone unrenewed for its whole length (`lapsed`), since
  another worker may hold it by then. Encoding goes on through an outage: it only costs
  time, and the lease is usually back when the outage ends.
A second worker finds the lease taken and tries again later instead of encoding the same
video twice. A killed worker renews nothing: its lease runs out (`LEASE_SECONDS`) before
the queue gives its job to another worker (queue.HEARTBEAT_TIMEOUT_MS is longer).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

from ..cache import Cache
from .errors import LeaseLost, Transient

log = logging.getLogger(__name__)

LEASE_SECONDS = 20.0


class Lease:
    def __init__(
        self,
        cache: Cache,
        job_id: str,
        seconds: float = LEASE_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.key = f"jobs:lease:{job_id}"
        self.seconds = seconds
        self.token = secrets.token_hex(8)
        self._clock = clock
        self._held_at = clock()  # when Redis last said the lease was ours
        self._taken = threading.Event()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> Lease:
        if not self.cache.add(self.key, self.token, self.seconds):
            raise Transient("Another worker is processing this upload.", self.seconds, shown=False)
        self._held_at = self._clock()
        self._renewer = threading.Thread(target=self._renew, name="job-lease", daemon=True)
        self._renewer.start()
        return self

    @property
    def taken(self) -> bool:
        """Another worker holds the lease now: this run must stop."""
        return self._taken.is_set()

    @property
    def lapsed(self) -> bool:
        """Not renewed for the lease's whole length (Redis unreachable): another worker may
        hold it by now."""
        return self.taken or self._clock() - self._held_at > self.seconds

    def confirm(self) -> None:
        """Raise LeaseLost unless Redis says the lease is still this run's (renewing it).
        Transient when Redis cannot be reached: the job waits for it."""
        try:
            held = self._hold()
        except Exception:  # whatever the Cache's client raises: we cannot know now
            raise Transient("The shared cache (Redis) cannot be reached.") from None
        if not held:
            raise LeaseLost()

    def _hold(self) -> bool:
        """Extend the lease while it holds our token; take it back when it ran out and
        nobody took it. False: another worker has it. Each step is one atomic operation
        (`renew`, `add`): a worker frozen between reading the lease and writing it must not,
        when it wakes, overwrite the lease another worker took meanwhile."""
        if self._taken.is_set():
            return False
        if not (
            self.cache.renew(self.key, self.token, self.seconds)
            or self.cache.add(self.key, self.token, self.seconds)
        ):
            self._taken.set()
            log.warning("Another worker took over this job; this run stops.")
            return False
        self._held_at = self._clock()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            try:
                if not self._hold():
                    return
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
