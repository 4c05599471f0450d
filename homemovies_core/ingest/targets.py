"""Where movies go: a local library folder or an OCI bucket, behind one `Target` protocol.

- Local: the movie is written into a hidden folder on the same file system and renamed
  into place in one step (staging.py), so the app never lists a half-written movie.
- OCI: the encoded files are uploaded (oci/transfer.py); a re-run resumes. A marker object
  beside the movie hides it from the app from the first object on (library.py); it is removed
  once the movie is whole and in its folder's index.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Protocol

from .. import incomplete
from ..encode import copy_subtitles
from ..index.folder import movie_entry, record_movie
from ..library import HLS_PLAYLIST, HLS_SUFFIX, folder_of
from ..oci.client import open_bucket
from ..oci.policy import BACKGROUND, INTERACTIVE
from ..oci.storage import OciStorage
from ..oci.transfer import DEFAULT_WORKERS, AlreadyUploaded, Uploader, UploadError
from ..settings import Settings
from ..staging import staged_dir, sweep_stale
from ..storage.base import Storage, StorageError
from ..storage.local import LocalStorage
from .cli import IngestError, Options
from .console import Progress
from .info import record_in_folder_index, write_info
from .movie import PARTIAL_MAX_AGE, build_movie, encoded_copy
from .plan import Job, megabytes


class Target(Protocol):
    where: str  # "the local library /srv/videos", "the bucket 'movies' (namespace 'ns')"

    def state(self, job: Job) -> str:
        """ "new", "complete", or a phrase for something in between (shown in the plan)."""

    def check_ready(self) -> None:
        """Raise IngestError if nothing could be added here."""

    def sweep_leftovers(self, now: float) -> list[Path]:
        """Remove what killed runs left behind here; return what was removed."""

    def publish(self, job: Job, options: Options, ffmpeg: str, ui: Progress) -> str:
        """Make the movie and put it here; returns the line that says what was done."""

    def finish(self, key: str) -> None:
        """A movie whose publishing run stopped after its last file (a worker killed): put
        it into its folder's index and let the app list it. Safe to call on any movie."""


def keep_original(job: Job, out_dir: Path) -> None:
    """Put the source into the movie as `job.original` (when asked): a hard link where the
    two share a file system (no second copy on disk), a copy otherwise."""
    if not job.original:
        return
    kept = out_dir / job.original
    kept.unlink(missing_ok=True)
    try:
        os.link(job.source, kept)
    except OSError:
        shutil.copyfile(job.source, kept)


def exists_message(job: Job, where: str) -> str:
    return (
        f"'{job.key}' already exists in {where}; give --overwrite to replace it, or choose "
        "another --name."
    )


def connect(settings: Settings, workers: int) -> Target:
    if settings.storage_kind == "local":
        return LocalTarget(settings.media_dir)
    return OciTarget.connect(settings, workers)


class LocalTarget:
    """`root`: where movies are written. `index_storage`: what the folder's index is read
    and written through (default: `root` alone; a library of two roots passes both, see
    storage/overlay.py, so the index keeps the other root's entries)."""

    def __init__(self, root: Path, index_storage: Storage | None = None) -> None:
        self.root = root.resolve()
        self.where = f"the local library {self.root}"
        # No URLs are made through this storage: any key will do.
        self.index_storage = index_storage or LocalStorage(self.root, secrets.token_bytes(32))

    def final(self, job: Job) -> Path:
        return self.root / job.folder / f"{job.name}{HLS_SUFFIX}"

    def state(self, job: Job) -> str:
        """ "new" or "complete": a local movie is never half there (it arrives by rename)."""
        return "complete" if os.path.lexists(self.final(job)) else "new"

    def check_ready(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise IngestError(f"The media folder {self.root} cannot be written by this user.")

    def sweep_leftovers(self, now: float) -> list[Path]:
        """Staging folders sit in the library's root or in a folder of it."""
        folders = [self.root] + sorted(
            p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        return [gone for folder in folders for gone in sweep_stale(folder, PARTIAL_MAX_AGE, now)]

    def publish(self, job: Job, options: Options, ffmpeg: str, ui: Progress) -> str:
        folder_dir = self.root / job.folder
        final = self.final(job)
        # Staging inside the folder if it exists, else at the root: the same file system as
        # the movie, and no new empty folder is left behind if the encode fails.
        parent = folder_dir if folder_dir.is_dir() else self.root
        try:
            with staged_dir(final, parent=parent, replace=options.overwrite) as staging:
                build_movie(job, staging, options, ffmpeg, ui)
                copy_subtitles(job.source, staging)
                keep_original(job, staging)
                write_info(job, staging)
                folder_dir.mkdir(exist_ok=True)
        except FileExistsError:
            raise IngestError(exists_message(job, self.where)) from None
        record_in_folder_index(self.index_storage, job, ui)
        # One walk of the finished movie gives both the count and the total size.
        sizes = [f.stat().st_size for f in final.rglob("*") if f.is_file()]
        return f"Added '{job.key}' to {self.where}: {len(sizes)} files, {megabytes(sum(sizes))}."

    def finish(self, key: str) -> None:
        """A local movie is listed from its rename on: only its index entry may be missing."""
        index_entry(self.index_storage, key)


class OciTarget:
    """A bucket, signed in once (quick checks first, then the patient uploads)."""

    def __init__(self, uploader: Uploader, storage: OciStorage | None = None) -> None:
        self.uploader = uploader
        self.where = uploader.where
        self.storage = storage  # for the folder's index; None: left to `index`

    @classmethod
    def connect(cls, settings: Settings, workers: int = DEFAULT_WORKERS) -> OciTarget:
        # Fail fast (seconds, not minutes) when OCI is unreachable or the bucket is wrong;
        # the uploads themselves may wait out a bad minute.
        bucket = open_bucket(settings, INTERACTIVE, BACKGROUND)
        storage = OciStorage(
            bucket.background,
            namespace=bucket.namespace,
            bucket=bucket.name,
            endpoint=bucket.endpoint,
        )
        return cls(Uploader(bucket, workers=workers), storage)

    def state(self, job: Job) -> str:
        objects = self.uploader.existing(job.key)
        marked = objects.pop(incomplete.marker(job.key), None) is not None
        if job.key + HLS_PLAYLIST in objects and not marked:
            return "complete"
        if objects or marked:
            return f"an unfinished upload of {len(objects)} objects: resumes"
        return "new"

    def check_ready(self) -> None:
        """The bucket answered when we signed in; writing is tried by the upload itself."""

    def sweep_leftovers(self, now: float) -> list[Path]:
        return []  # nothing is staged in a bucket: OCI has no rename

    def publish(self, job: Job, options: Options, ffmpeg: str, ui: Progress) -> str:
        work = encoded_copy(job, options, ffmpeg, ui)
        copy_subtitles(job.source, work)  # always fresh: a sidecar may have been added since
        keep_original(job, work)
        write_info(job, work)
        try:
            report = self.uploader.upload_folder(
                work, job.key, overwrite=options.overwrite, bar=ui.byte_bar, unmark=False
            )
        except UploadError as exc:
            raise IngestError(
                f"{exc} The encoded files are kept in {work}, so running the "
                "same command again only uploads what is missing."
            ) from None
        except StorageError as exc:
            shutil.rmtree(work, ignore_errors=True)
            message = (
                exists_message(job, self.where) if isinstance(exc, AlreadyUploaded) else str(exc)
            )
            raise IngestError(message) from None
        shutil.rmtree(work, ignore_errors=True)
        if self.storage is not None:
            record_in_folder_index(self.storage, job, ui)
        if report.marked:  # whole and indexed: the app may list it now
            self._unmark(job.key)
        text = (
            f"Uploaded '{job.key}' to {self.where}: {report.uploaded} files "
            f"({megabytes(report.bytes_uploaded)}) sent, {report.skipped} already there"
        )
        return text + (f", {report.deleted} old objects removed." if report.deleted else ".")

    def finish(self, key: str) -> None:
        if self.storage is not None:
            index_entry(self.storage, key)
        self._unmark(key)

    def _unmark(self, key: str) -> None:
        try:
            self.uploader.unmark(key)
        except StorageError as exc:
            raise IngestError(
                f"{exc} The movie is uploaded but not listed yet; running the same command "
                "again finishes it."
            ) from None


def index_entry(storage: Storage, key: str) -> None:
    """Put the movie at `key` into its folder's index from its own info.json, unless it is
    there already (best effort, as after publishing: `index` does it later otherwise)."""
    folder = folder_of(key)
    try:
        entry = movie_entry(storage, key)
        if entry is not None and entry.facts is not None:
            record_movie(storage, folder, key[len(folder) :], entry.facts, entry.sha256)
    except StorageError:
        pass
