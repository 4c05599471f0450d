"""The ingest job: one completed upload becomes one movie (or one sentence saying why not).

1. A job that already finished is not run again (a message delivered twice). One worker
   at a time runs a job (lease.py).
2. A job that already published its movie (its worker died before saying so) is done,
   once the movie is in its folder's index and listed (on OCI: its marker removed).
3. The upload is checked (there, not empty, the size announced), read once while its
   SHA-256 is computed; content the library already has becomes no second movie.
4. It is probed (a text file named .mp4 fails here, once, with its sentence), named (the
   title made safe again; "Name (2)" when the folder has a "Name"), and handed to the
   ingest package: the HLS ladder without upscaling, poster, seek previews, `info.json`
   with the recorded date from the phone's metadata, the original kept as
   `original.<ext>`. A local movie appears by one rename; on OCI a marker hides it from
   its first object on, the master playlist goes last, the folder's index gets the movie,
   and then the marker goes (ingest/targets.py). The upload is removed.

An outage (storage, Redis) raises Transient: the queue tries the job again later, and
everything above is safe to run again.
"""

from __future__ import annotations

import logging
import shutil
import time

from .. import library
from ..catalog import listing_key
from ..encode import plan_ladder
from ..ffmpeg import FfmpegError, probe
from ..ingest.cli import ConversionFailed, IngestError
from ..ingest.plan import Job
from ..media_types import extension
from ..observability.metrics import observe_job
from ..recorded import recorded
from ..storage.base import StorageError
from .errors import Cancelled, JobFailed, Transient
from .hashes import movie_of
from .lease import Lease
from .model import IngestRequest, JobStatus
from .names import check_folder, safe_title, unique_name
from .progress import READ, JobProgress
from .runtime import Runtime
from .status import CANCELLED

log = logging.getLogger(__name__)

UNEXPECTED = "Processing this video failed unexpectedly; the operator's log says why."
PLAYLIST_LIMIT = 1024 * 1024
STORAGE_DOWN = "The library's storage cannot be written now; the video is added when it can be."


def run(request: IngestRequest, rt: Runtime) -> JobStatus | None:
    """Run the job; returns its final status (None: it had finished before). Raises
    Transient when it should be tried again later."""
    status = rt.statuses.get(request.upload_id)
    if status is not None and status.finished:
        rt.source.remove(request)
        return None
    started = time.monotonic()
    with Lease(rt.cache, request.upload_id) as lease:
        log.info("Job %s started.", request.upload_id)
        final = _outcome(request, rt, lease)
        lease.confirm()  # a run that another worker took over says nothing (lease.py)
        if final.state == "failed":
            _release_name(rt, request)
        observe_job(time.monotonic() - started)  # counted by the time the status says so
        rt.statuses.save(request, final)
    rt.source.remove(request)
    shutil.rmtree(rt.work_dir / request.upload_id, ignore_errors=True)
    log.info("Job %s ended: %s.", request.upload_id, final.state)
    return final


def _outcome(request: IngestRequest, rt: Runtime, lease: Lease) -> JobStatus:
    """How the job ends: a movie, or a failure with its sentence. Raises Transient when it
    should be tried again later."""
    try:
        return _ingest(request, rt, lease)
    except JobFailed as exc:
        return JobStatus("failed", message=str(exc))
    except Cancelled:
        return JobStatus("failed", message=CANCELLED)
    except Transient:
        raise
    except StorageError as exc:  # the library cannot be reached now
        raise Transient(str(exc)) from None
    except OSError as exc:  # a disk, for now (full, unmounted)
        raise Transient(f"The library cannot be written now ({exc.strerror}).") from None
    except Exception:
        if _cache_down(rt):
            raise Transient("The shared cache (Redis) cannot be reached.") from None
        log.exception("Job %s failed unexpectedly.", request.upload_id)
        return JobStatus("failed", message=UNEXPECTED)


def _cache_down(rt: Runtime) -> bool:
    try:
        return not rt.cache.ping()
    except Exception:
        return True


def _ingest(request: IngestRequest, rt: Runtime, lease: Lease) -> JobStatus:
    folder = check_folder(request.folder)
    title = safe_title(request.title)
    progress = JobProgress(
        request.upload_id,
        lambda status: rt.statuses.save(request, status),
        lambda: rt.statuses.cancelled(request.upload_id),
        lease=lease,
    )
    progress.at(0, force=True)
    claim = rt.statuses.claim(request.upload_id)
    if claim is not None and _complete(rt, claim):  # published by an earlier run
        _finish(rt, claim)  # in case that run stopped before it could
        rt.hashes.remember_movie(claim)
        return JobStatus("ready", 100, video_key=claim)
    rt.source.check(request)
    work = rt.work_dir / request.upload_id
    work.mkdir(exist_ok=True)
    local, sha256 = rt.source.fetch(request, work, progress.counter(request.size, READ))
    found = rt.hashes.find(sha256)
    if found is not None and found.key != claim:
        return JobStatus("ready", 100, video_key=found.key, duplicate_of=found)
    if request.size > rt.max_bytes:
        raise JobFailed(f"'{request.original_name[:200]}' is larger than this library accepts.")
    if not rt.hashes.claim(sha256, request.upload_id):
        raise Transient("The same video is being added by another upload.", 30)
    try:
        job = _plan(request, rt, local, folder, title, sha256, claim)
        _publish(request, rt, job, progress)
    except Transient:
        raise  # the job comes back: it keeps its claim on this content
    except BaseException:
        rt.hashes.release(sha256, request.upload_id)
        raise
    _forget_listing(rt, library.folder_of(job.key))
    rt.hashes.remember(sha256, movie_of(job.key))
    rt.hashes.release(sha256, request.upload_id)
    return JobStatus("ready", 100, video_key=job.key)


def _plan(
    request: IngestRequest, rt: Runtime, local, folder: str, title: str, sha256: str,
    claim: str | None,
) -> Job:  # fmt: skip
    try:
        found = probe(local, rt.ffmpeg)
    except FfmpegError:
        found = None
    if found is None or found.duration <= 0:
        raise JobFailed(
            f"'{request.original_name[:200]}' is not a video that can be played (it may be "
            "another kind of file, or damaged or cut short); nothing was added."
        )
    name = library.display_name(claim) if claim else _choose_name(request, rt, folder, title)
    ext = extension(request.original_name)
    return Job(
        source=local, folder=folder, name=name, probe=found,
        ladder=tuple(plan_ladder(found, rt.options.heights)), subtitles=(),
        # The phone's own date from the metadata; else the file's time on the device.
        recorded=recorded(found.tags, request.last_modified or local.stat().st_mtime),
        original="original" + (ext if 1 < len(ext) <= 11 and ext[1:].isalnum() else ""),
        sha256=sha256,
    )  # fmt: skip


def _choose_name(request: IngestRequest, rt: Runtime, folder: str, title: str) -> str:
    key = f"{folder}/" if folder else ""
    try:
        listing = rt.storage.list_level(key)
    except StorageError as exc:
        raise Transient(str(exc)) from None
    listed = library.videos_in(key, listing)
    # A movie being added (by `ingest` too) is not listed, but its name is taken.
    unfinished = library.unfinished_movies(listing)
    taken = {v.title for v in listed if v.folder == key} | {
        library.display_name(k) for k in unfinished
    }
    name = unique_name(title, folder, taken, lambda n: rt.names.claim(folder, n, request.upload_id))
    movie = f"{key}{name}{library.HLS_SUFFIX}/"
    rt.statuses.save(request, JobStatus("processing", 10), claim=movie)
    return name


def _publish(request: IngestRequest, rt: Runtime, job: Job, progress: JobProgress) -> None:
    try:
        rt.target.publish(job, rt.options, rt.ffmpeg, progress)
    except ConversionFailed:
        if rt.statuses.cancelled(request.upload_id):
            raise Cancelled() from None
        progress.check_lease()
        log.warning("Job %s: ffmpeg could not convert the upload.", request.upload_id)
        raise JobFailed(
            f"'{request.original_name[:200]}' could not be converted into a movie; nothing "
            "was added."
        ) from None
    except IngestError:  # the name is taken, or the upload to the bucket stopped
        if rt.statuses.cancelled(request.upload_id):
            raise Cancelled() from None
        progress.check_lease()  # stopped because another worker holds the job now
        if _complete(rt, job.key):  # a whole movie has this name now
            if rt.hashes.holds(job.key, job.sha256 or ""):
                _finish(rt, job.key)  # published by another run of this same job
                return
            # Someone else's movie got this name first: choose again.
            rt.statuses.save(request, JobStatus("processing", 10), claim="")
            raise Transient("The chosen name was taken meanwhile.", 1, shown=False) from None
        log.warning("Job %s: the movie could not be written to the library yet.", request.upload_id)
        raise Transient(STORAGE_DOWN) from None
    except (OSError, StorageError) as exc:
        raise Transient(f"The library cannot be written now ({type(exc).__name__}).") from None


def _finish(rt: Runtime, key: str) -> None:
    """The movie at `key` is all there: indexed and listed (ingest/targets.py)."""
    try:
        rt.target.finish(key)
    except (IngestError, StorageError):
        raise Transient(STORAGE_DOWN) from None


def _release_name(rt: Runtime, request: IngestRequest) -> None:
    """A job that made no movie gives its chosen name back."""
    claim = rt.statuses.claim(request.upload_id)
    if claim:
        name = library.display_name(claim)
        rt.names.release(library.folder_of(claim).rstrip("/"), name, request.upload_id)


def _forget_listing(rt: Runtime, folder: str) -> None:
    """The folder's cached listing is out of date now: every replica lists it again (and the
    top level, whose folder counts include this folder)."""
    for prefix in {folder, ""}:
        rt.cache.delete(listing_key(rt.storage, prefix))


def _complete(rt: Runtime, key: str) -> bool:
    """Whether the movie at `key` is all there (its master playlist comes last)."""
    try:
        return rt.storage.read_small(key + library.HLS_PLAYLIST, PLAYLIST_LIMIT) is not None
    except StorageError as exc:
        raise Transient(str(exc)) from None
