"""One person's uploads as the Add videos page lists them: the upload's own state until it
is queued, then its job's (waiting, processing, ready, failed, or already in the library)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..jobs.model import JobStatus
from ..library import folder_title
from .records import MAX_LISTED, UploadRecord

# An upload nobody has sent a byte of for this long is shown as paused (the tab was closed,
# the phone slept): choosing the same file again resumes it.
PAUSED_AFTER_SECONDS = 60


@dataclass(frozen=True)
class UploadRow:
    id: str
    name: str
    size: int
    folder: str  # the folder's title
    state: str  # uploading | paused | waiting | processing | ready | duplicate | failed
    label: str  # what the page shows for the state ("Processing 63 %", "Failed: ...")
    percent: int
    received: int
    created: float  # when the upload started (its token is made from it)
    video_key: str | None = None  # ready or duplicate: the movie to link to
    finished: bool = False  # nothing more will happen: no Cancel button


def _percent(part: int, whole: int) -> int:
    return max(0, min(100, part * 100 // whole)) if whole else 0


def row(record: UploadRecord, job: JobStatus | None, now: float | None = None) -> UploadRow:
    now = time.time() if now is None else now
    base = {
        "id": record.id, "name": record.name, "size": record.size,
        "folder": folder_title(record.folder), "received": record.received,
        "created": record.created,
    }  # fmt: skip
    if record.open:
        percent = _percent(record.received, record.size)
        if now - record.updated > PAUSED_AFTER_SECONDS:
            label = f"Paused at {percent} % · choose the file again to go on"
            return UploadRow(**base, state="paused", label=label, percent=percent)
        label = f"Uploading {percent} %"
        return UploadRow(**base, state="uploading", label=label, percent=percent)
    if record.state == "failed":
        return _failed(base, record.message)
    return job_row(base, job)


def _failed(base: dict, message: str) -> UploadRow:
    text = message or "The video could not be added."
    return UploadRow(**base, state="failed", label=f"Failed: {text}", percent=0, finished=True)


def progress_label(job: JobStatus) -> str:
    """What a card of a video being added says: "Waiting" (and for what, if the job says)
    or "Processing 63 %"."""
    if job.state == "processing":
        return f"Processing {max(0, min(100, job.percent))} %"
    return f"Waiting · {job.message}" if job.message else "Waiting"


def job_row(base: dict, job: JobStatus | None) -> UploadRow:
    if job is None or job.state == "waiting":
        label = "Waiting" if job is None else progress_label(job)
        return UploadRow(**base, state="waiting", label=label, percent=0)
    if job.state == "processing":
        percent = max(0, min(100, job.percent))
        label = f"Processing {percent} %"
        return UploadRow(**base, state="processing", label=label, percent=percent)
    if job.state == "failed":
        return _failed(base, job.message)
    if job.duplicate_of is not None:
        dup = job.duplicate_of
        label = f"Already in {dup.folder} as {dup.title}"  # the folder's title
        return UploadRow(**base, state="duplicate", label=label, percent=100,
                         video_key=dup.key, finished=True)  # fmt: skip
    return UploadRow(**base, state="ready", label="Ready", percent=100,
                     video_key=job.video_key, finished=True)  # fmt: skip


def rows(records: list[UploadRecord], status_of) -> list[UploadRow]:
    """Rows for `records` (newest first, at most MAX_LISTED); `status_of(id)` is the job's."""
    now = time.time()
    return [
        row(r, None if r.open or r.state == "failed" else status_of(r.id), now)
        for r in records[:MAX_LISTED]
    ]
