"""`svc.jobs`: what the app does with the job queue, and whether adding videos is possible.

The app submits a job when an upload completes and reads its status for the pages; the
work itself runs in workers (`python -m homemovies_core worker`). Without Redis the app
runs one worker inside its own process (Dramatiq's in-memory broker and a worker thread),
so uploading works with no extra command.

The app's /metrics counts the queue too (gauges.py): its own worker's without Redis, the
shared one with Redis, so a queue that no worker takes jobs from still shows (and alerts).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading

import dramatiq
from prometheus_client import REGISTRY

from ..cache import Cache
from ..redis_cache import shared_only
from ..settings import Settings
from ..storage.base import Storage
from .gauges import QueueGauges, Refreshing
from .model import IngestRequest, JobStatus
from .place import place
from .queue import declare, make_broker, queue_for, start_worker
from .status import StatusStore

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,80}$")
QUEUE_DOWN = (
    "Processing cannot start right now: the job queue (Redis) cannot be reached. "
    "Try again in a minute."
)


NO_WORKER = "Adding videos is off: this server cannot convert videos now (see its log)."


class JobsUnavailable(Exception):
    """Adding videos is off, or the queue cannot take a job now; one sentence."""


class Jobs:
    def __init__(self, settings: Settings, cache: Cache, storage: Storage) -> None:
        self.settings = settings
        self.placement = place(settings, storage)
        self.statuses = StatusStore(cache)
        self._cache, self._storage = cache, storage
        self._broker = make_broker(
            settings.redis_url if settings.use_redis else None,
            insecure_tls=settings.redis_insecure_tls,
        )
        self._lock = threading.Lock()
        self._queue_name = queue_for(storage.kind, storage.scope)
        self._actor = (
            declare(self._broker, _runs_in_workers, self._queue_name)
            if settings.use_redis
            else None
        )
        self.worker: dramatiq.Worker | None = None  # the in-process one, without Redis
        # Counted in Redis alone: a replica's own memory during an outage is not the queue.
        queue = QueueGauges(StatusStore(shared_only(cache)))
        self.metrics_registry = REGISTRY if self.placement.reason else Refreshing(queue)

    @classmethod
    def build(cls, settings: Settings, cache: Cache, storage: Storage) -> Jobs:
        return cls(settings, cache, storage)

    def _queue(self):
        """The actor to send jobs to. Without Redis, the first job starts the in-process
        worker (so a process that never takes an upload runs no worker threads)."""
        with self._lock:
            if self._actor is None and self.placement.reason is None:
                self._actor = self._run_here(self._broker, self._cache, self._storage)
            if self._actor is None:
                raise JobsUnavailable(self.placement.reason or NO_WORKER)
            return self._actor

    def _run_here(self, broker: dramatiq.Broker, cache: Cache, storage: Storage):
        """No Redis: one worker thread in this process works the in-memory queue."""
        from ..ffmpeg import FfmpegError
        from ..storage.base import StorageError
        from .runtime import build_runtime
        from .worker import Handler

        try:
            runtime = build_runtime(self.settings, cache, storage)
        except (FfmpegError, StorageError) as exc:
            log.warning("Adding videos is off: %s", exc)
            self.placement = dataclasses.replace(self.placement, reason=NO_WORKER)
            return None
        runtime.sweep_leftovers()  # what an earlier, killed run of this app left behind
        handler = Handler(runtime, broker)
        actor = declare(broker, handler, self._queue_name)
        self.worker = start_worker(broker, threads=1, queue=self._queue_name)
        return actor

    # -- what the upload side and the pages ask ----------------------------------------------
    def unavailable_reason(self) -> str | None:
        """Why adding videos is off here (one sentence), or None when it is on."""
        return self.placement.reason

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_gb * 1_000_000_000)

    def submit(self, request: IngestRequest) -> str:
        """Queue the job of a completed upload; its id is the upload's. Submitting the same
        upload again changes nothing. Raises JobsUnavailable (one sentence)."""
        if self.placement.reason is not None:
            raise JobsUnavailable(self.placement.reason)
        if not _JOB_ID.match(request.upload_id):
            raise ValueError("an upload id is 8 to 80 letters, digits, '-' or '_'")
        actor = self._queue()
        if not self.statuses.create(request):
            return request.upload_id
        try:
            actor.send(dataclasses.asdict(request))
        except Exception as exc:  # the broker's Redis client failing, whatever its type
            log.warning("Job %s could not be queued (%s).", request.upload_id, type(exc).__name__)
            self.statuses.forget(request)
            raise JobsUnavailable(QUEUE_DOWN) from None
        return request.upload_id

    def status(self, job_id: str) -> JobStatus | None:
        return self.statuses.get(job_id) if _JOB_ID.match(job_id) else None

    def pending_in(self, folder: str) -> list[tuple[str, JobStatus]]:
        """(title, status) of the jobs still making a movie for `folder` ("Name/", "Name"
        or "" for Unsorted), oldest first: the folder's processing cards."""
        return self.statuses.pending_in(folder)

    def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not finished (False: it had, or there is no such job)."""
        return _JOB_ID.match(job_id) is not None and self.statuses.cancel(job_id)

    def stop(self) -> None:
        """Stop the in-process worker (tests; a stopping app)."""
        if self.worker is not None:
            self.worker.stop(timeout=5_000)
            self.worker = None


def _runs_in_workers(_payload: dict) -> None:
    raise RuntimeError("ingest jobs run in `python -m homemovies_core worker`, not in the app")
