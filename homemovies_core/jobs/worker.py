"""What a worker does with each message: run the job, and turn an outage into a retry.

A permanent failure never leaves `process.run` (it is the job's status); an outage comes
out as Transient (or CacheUnavailable when Redis went away) and becomes `dramatiq.Retry`,
which the queue's Retries middleware enqueues again with backoff. The retry is enqueued in
Redis, so while Redis itself is down the handler first waits for it: a retry that could not
be enqueued would be a lost job.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

import dramatiq

from ..cache import CacheUnavailable
from .errors import Transient
from .model import IngestRequest, JobStatus
from .process import run
from .queue import broker_reachable
from .runtime import Runtime

log = logging.getLogger(__name__)

REDIS_WAIT_SECONDS = (1, 2, 5, 10)  # between checks while waiting for Redis, then every 10 s


def parse_request(payload: object) -> IngestRequest | None:
    if not isinstance(payload, dict):
        return None
    names = {f.name for f in dataclasses.fields(IngestRequest)}
    try:
        return IngestRequest(**{k: v for k, v in payload.items() if k in names})
    except TypeError:
        return None


class Handler:
    """The ingest actor's function (queue.declare)."""

    def __init__(self, runtime: Runtime, broker: dramatiq.Broker) -> None:
        self.runtime = runtime
        self.broker = broker
        self.stopping = threading.Event()  # set when the worker shuts down

    def __call__(self, payload: dict) -> None:
        request = parse_request(payload)
        if request is None:
            log.error("A job message that is not an upload was dropped.")
            return
        try:
            run(request, self.runtime)
        except (Transient, CacheUnavailable) as exc:
            log.warning("Job %s waits (%s); it is tried again later.", request.upload_id,
                        type(exc).__name__)  # fmt: skip
            if getattr(exc, "shown", True):
                self._note_waiting(request, str(exc))
            self._wait_for_broker()
            delay = getattr(exc, "delay_seconds", None)
            raise dramatiq.Retry(str(exc), delay=int(delay * 1000) if delay else None) from None

    def _note_waiting(self, request: IngestRequest, why: str) -> None:
        try:
            current = self.runtime.statuses.get(request.upload_id)
            if current is not None and not current.finished:
                self.runtime.statuses.save(
                    request, JobStatus("waiting", current.percent, message=why)
                )
        except Exception:  # Redis is down: the status says so once it is back
            pass

    def _wait_for_broker(self) -> None:
        for attempt in range(1_000_000):
            if broker_reachable(self.broker) or self.stopping.is_set():
                return
            pause = REDIS_WAIT_SECONDS[min(attempt, len(REDIS_WAIT_SECONDS) - 1)]
            if attempt == 0:
                log.warning("Waiting for Redis before the job is tried again.")
            self.stopping.wait(pause)
