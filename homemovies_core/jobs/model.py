"""The values the upload side and the processing side exchange: what to ingest, and how far it got.

`IngestRequest` is what the app puts on the queue when an upload completes; its `upload_id` is
also the job's id, so submitting the same upload twice makes one job and one movie.
`JobStatus` is what every page and replica reads back from the Cache while the job runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Duplicate", "IngestRequest", "JobState", "JobStatus"]

JobState = Literal["waiting", "processing", "ready", "failed"]


@dataclass(frozen=True)
class IngestRequest:
    """One completed upload to turn into a movie."""

    upload_id: str  # also the job id: one upload, one job, one movie
    owner: str  # the user name of the person who uploaded it
    folder: str  # the library folder it goes to (validated by the upload side; checked again)
    title: str  # the movie's display name (sanitised by the upload side; checked again)
    # Where the uploaded bytes are: on OCI an object name under ".uploads/" in the library's
    # bucket; on a local library a path relative to the uploads directory.
    source: str
    size: int  # bytes the upload promised; the worker checks the source has exactly these
    original_name: str  # the file's name on the person's device (its extension is kept)
    # The file's time on the device (the browser's File.lastModified / 1000), the recorded
    # date of a video whose metadata has none; None: the upload's own time is used.
    last_modified: float | None = None


@dataclass(frozen=True)
class Duplicate:
    """A movie already in the library with the same content (SHA-256) as an upload."""

    key: str  # the movie's key, for the watch link
    title: str
    folder: str  # the folder's title as shown ("Unsorted" for the top level)


@dataclass(frozen=True)
class JobStatus:
    """How far one job got, as every page sees it."""

    state: JobState
    percent: int = 0  # 0-100 while processing
    message: str = ""  # "failed": the one sentence that says why; "waiting": what it waits for
    video_key: str | None = None  # for "ready": the finished movie's key (the watch link)
    duplicate_of: Duplicate | None = None  # "ready" without a new movie: it was already there
    updated: float = 0.0  # time.time() of the last change

    @property
    def finished(self) -> bool:
        return self.state in ("ready", "failed")
