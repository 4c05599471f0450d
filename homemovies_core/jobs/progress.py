"""A job's progress, as the ingest package reports it, turned into the percent pages show.

The ingest package reports through `Progress` (bars for encoding and uploading, lines of
text); this one maps each phase onto a slice of 0-100 % and writes the status at most
once a second, best effort: a Redis hiccup must not stop an encode, the next write or the
final status says where the job is. It also stops the job at its next report once its
owner has cancelled it (the running ffmpeg is killed: ffmpeg_run.py), or once another
worker holds its lease (lease.py): before its upload to the bucket starts, the lease is
confirmed in Redis, and the upload stops if it lapses meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..ingest.console import Progress
from .errors import Cancelled, LeaseLost
from .lease import Lease
from .model import JobStatus

log = logging.getLogger(__name__)

# Slices of the bar: reading (and hashing) the upload, encoding, uploading to the bucket.
READ = (0, 10)
ENCODE = (10, 90)
UPLOAD = (90, 99)
WRITE_EVERY = 1.0  # seconds


class JobProgress(Progress):
    def __init__(
        self,
        job_id: str,
        write: Callable[[JobStatus], None],
        cancelled: Callable[[], bool],
        *,
        clock: Callable[[], float] = time.monotonic,
        lease: Lease | None = None,
    ) -> None:
        super().__init__()
        self._job_id = job_id
        self._lease = lease
        self._uploading = False
        self._write = write
        self._cancelled = cancelled
        self._clock = clock
        self._lock = threading.Lock()
        self._shown = -1
        self._last = float("-inf")
        self._failing = False  # the last write failed (said once per outage)

    def say(self, text: str) -> None:
        # The ingest package's lines name files and movies, which logs never carry.
        log.debug("Job %s: %s", self._job_id, text)

    def check_lease(self) -> None:
        """LeaseLost when another worker holds this job now, or, while uploading, when the
        lease went unrenewed so long that another worker may."""
        lease = self._lease
        if lease is not None and (lease.taken or (self._uploading and lease.lapsed)):
            raise LeaseLost()

    def at(self, percent: float, *, force: bool = False) -> None:
        """The job is `percent` done; written when it moved and a second has passed."""
        self.check_lease()
        whole = int(min(max(percent, 0), 99))
        with self._lock:
            now = self._clock()
            if not force and (whole <= self._shown or now - self._last < WRITE_EVERY):
                return
            self._shown, self._last = max(whole, self._shown), now
        try:
            cancelled = self._cancelled()
            if not cancelled:
                self._write(JobStatus("processing", whole))
        except Exception as exc:  # the Cache is down: the job goes on, the next write tells
            if not self._failing:
                log.warning("The job's progress cannot be written (%s).", type(exc).__name__)
            self._failing = True
            return
        self._failing = False
        if cancelled:
            raise Cancelled()

    def counter(self, total: int, span: tuple[int, int]) -> Callable[[int], None]:
        """`advance(amount)` for `total` units spread over `span` percent."""
        done = [0]
        low, high = span

        def advance(amount: float) -> None:
            done[0] += amount
            self.at(low + (high - low) * min(done[0] / total, 1.0) if total else low)

        return advance

    @contextmanager
    def bar(
        self, label: str, total: float, unit: str, scale: bool = False
    ) -> Iterator[Callable[[float], None]]:
        step = "uploading" if unit == "B" else "encoding"
        if unit == "B" and self._lease is not None:
            self._lease.confirm()  # nothing goes into the bucket unless the job is still ours
            self._uploading = True
        log.info("Job %s: %s.", self._job_id, step)
        yield self.counter(int(total) or 1, UPLOAD if unit == "B" else ENCODE)
