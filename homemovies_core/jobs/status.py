"""Where every replica and page reads how far a job got: its entry in the Cache.

`jobs:job:<id>` holds the request and its status; `jobs:in:<folder>:<id>` lists the jobs a
folder is waiting for (its processing cards), its value the time the job was queued;
`jobs:cancel:<id>` says its owner cancelled it (kept apart, so a worker's progress cannot
overwrite it); `jobs:failed:<id>` counts a job that failed (not cancelled) for the operator
(`census`); `jobs:lease:<id>` says which worker runs it now. With Redis configured these live there, so any replica and any worker
sees the same; the in-process cache serves the one process of the demo.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..cache import Cache, get_json, get_json_text
from .model import Duplicate, IngestRequest, JobStatus

__all__ = ["KEEP_SECONDS", "Census", "StatusStore", "folder_name"]

KEEP_SECONDS = (
    7 * 24 * 3600
)  # a finished job's status (the upload list shows it) and a queued one's
CANCELLED = "Cancelled."
_JOB = "jobs:job:"
_IN = "jobs:in:"
_CANCEL = "jobs:cancel:"
_FAILED = "jobs:failed:"


@dataclass(frozen=True)
class Census:
    """The queue as the operator sees it (observability/metrics.py, `hm_jobs`)."""

    queued: int  # waiting for a worker: new, or to be tried again after an outage
    running: int  # a worker is processing it
    failed: int  # ended with a failure (not cancelled) and still kept (KEEP_SECONDS)
    oldest_queued_seconds: float  # since the oldest waiting job was queued; 0 when none


def folder_name(folder: str) -> str:
    """A folder as the upload side may give it ("Holidays/", "Holidays", "" for Unsorted)."""
    return folder.strip("/")


def _folder_digest(folder: str) -> str:
    return hashlib.sha256(folder_name(folder).encode("utf-8", "surrogatepass")).hexdigest()[:24]


class StatusStore:
    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self._clock = clock

    # -- the app's side ----------------------------------------------------------------------
    def create(self, request: IngestRequest) -> bool:
        """Record a new job as waiting; False if this upload already has one (one upload,
        one job)."""
        waiting = JobStatus("waiting", updated=self._clock())
        body = {"request": dataclasses.asdict(request), **self._status_json(waiting)}
        if not self.cache.add(_JOB + request.upload_id, _dump(body), KEEP_SECONDS):
            return False
        self.cache.set(self._in_key(request), repr(waiting.updated), KEEP_SECONDS)
        return True

    def forget(self, request: IngestRequest) -> None:
        """Undo `create` (the job could not be queued)."""
        self.cache.delete(_JOB + request.upload_id)
        self.cache.delete(self._in_key(request))

    def get(self, job_id: str) -> JobStatus | None:
        body = get_json(self.cache, _JOB + job_id)
        return None if body is None else self._status(job_id, body)

    def request(self, job_id: str) -> IngestRequest | None:
        body = get_json(self.cache, _JOB + job_id)
        return _request(body.get("request")) if isinstance(body, dict) else None

    def pending_in(self, folder: str) -> list[tuple[str, JobStatus]]:
        """(title, status) of each job still waiting or processing for `folder`, oldest first."""
        prefix = f"{_IN}{_folder_digest(folder)}:"
        ids = [key[len(prefix) :] for key in self.cache.scan(prefix)]
        bodies = self.cache.get_many([_JOB + i for i in ids])
        found = []
        for job_id, raw in zip(ids, bodies, strict=True):
            body = None if raw is None else get_json_text(raw)
            request = _request(body.get("request")) if isinstance(body, dict) else None
            if request is None:
                continue
            status = self._status(job_id, body)
            if not status.finished:
                found.append((status.updated, request.title, status))
        return [(title, status) for _when, title, status in sorted(found, key=lambda f: f[0])]

    def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not finished; False if it had (or never existed)."""
        status = self.get(job_id)
        if status is None or status.finished:
            return False
        self.cache.set(_CANCEL + job_id, "1", KEEP_SECONDS)
        request = self.request(job_id)
        if request is not None:
            self.cache.delete(self._in_key(request))
        return True

    # -- the worker's side -------------------------------------------------------------------
    def cancelled(self, job_id: str) -> bool:
        return self.cache.get(_CANCEL + job_id) is not None

    def save(self, request: IngestRequest, status: JobStatus, *, claim: str | None = None) -> None:
        """Write `status` (stamped now); a finished job leaves its folder's pending list.
        `claim`: the movie key the job chose (None keeps the one it had; "" forgets it)."""
        if claim is None:
            claim = self.claim(request.upload_id)
        stamped = dataclasses.replace(status, updated=self._clock())
        new = {
            "request": dataclasses.asdict(request),
            **self._status_json(stamped),
            "claim": claim or None,
        }
        self.cache.set(_JOB + request.upload_id, _dump(new), KEEP_SECONDS)
        if status.state == "failed" and status.message != CANCELLED:
            self.cache.set(_FAILED + request.upload_id, "1", KEEP_SECONDS)
        if status.finished:
            self.cache.delete(self._in_key(request))
        else:  # there since `create` (with the time it was queued) unless it ran out
            self.cache.add(self._in_key(request), repr(stamped.updated), KEEP_SECONDS)

    def claim(self, job_id: str) -> str | None:
        """The movie key this job chose for itself, once it chose one (kept across runs)."""
        body = get_json(self.cache, _JOB + job_id)
        claim = body.get("claim") if isinstance(body, dict) else None
        return claim if isinstance(claim, str) else None

    # -- the operator's figures -----------------------------------------------------------------
    def census(self) -> Census:
        """Count the jobs not finished by state, and the failed ones still kept: a scan of
        the pending keys and of the failed ones, and one read of each pending job."""
        keys = list(self.cache.scan(_IN))
        queued_at = self.cache.get_many(keys)
        bodies = self.cache.get_many([_JOB + key.rsplit(":", 1)[-1] for key in keys])
        now = self._clock()
        queued = running = 0
        oldest = now
        for since, raw in zip(queued_at, bodies, strict=True):
            body = None if raw is None else get_json_text(raw)
            if not isinstance(body, dict):
                continue  # its status ran out: not a job any more
            state = _parse_status(body.get("status")).state
            if state == "processing":
                running += 1
            elif state == "waiting":
                queued += 1
                oldest = min(oldest, _seconds(since, now))
        failed = sum(1 for _key in self.cache.scan(_FAILED))
        return Census(queued, running, failed, now - oldest)

    # -- the JSON ------------------------------------------------------------------------------
    @staticmethod
    def _in_key(request: IngestRequest) -> str:
        return f"{_IN}{_folder_digest(request.folder)}:{request.upload_id}"

    @staticmethod
    def _status_json(status: JobStatus) -> dict:
        return {"status": dataclasses.asdict(status)}

    def _status(self, job_id: str, body: object) -> JobStatus:
        raw = body.get("status") if isinstance(body, dict) else None
        status = _parse_status(raw)
        if status.state != "ready" and self.cancelled(job_id):
            return dataclasses.replace(status, state="failed", message=CANCELLED)
        return status


def _dump(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"))


def _seconds(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


def _request(raw: object) -> IngestRequest | None:
    if not isinstance(raw, dict):
        return None
    try:
        return IngestRequest(**raw)
    except TypeError:  # written by another version: not a request we can read
        return None


_STATES = ("waiting", "processing", "ready", "failed")


def _parse_status(raw: object) -> JobStatus:
    if not isinstance(raw, dict) or raw.get("state") not in _STATES:
        return JobStatus("waiting")
    try:
        duplicate = Duplicate(**raw["duplicate_of"]) if raw.get("duplicate_of") else None
    except TypeError:  # not the shape we write: no link rather than a crash
        duplicate = None
    return JobStatus(
        state=raw["state"],
        percent=int(raw.get("percent") or 0),
        message=str(raw.get("message") or ""),
        video_key=raw.get("video_key") if isinstance(raw.get("video_key"), str) else None,
        duplicate_of=duplicate,
        updated=float(raw.get("updated") or 0.0),
    )
