"""Where a job finds the uploaded bytes: a file in the uploads folder, or an object under
`.uploads/` in the library's bucket.

Each source is checked against what the upload promised (it is there, it is not empty, it
has exactly the size announced), read once into a local file while its SHA-256 is computed,
and removed when the job has finished with it. A source name is hostile input like any
other: it must stay inside the uploads folder or under the uploads prefix.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..oci.client import Bucket
from ..oci.errors import call
from ..storage.base import StorageError
from .errors import JobFailed, Transient
from .model import IngestRequest

UPLOADS_PREFIX = ".uploads/"  # in the library's bucket: hidden from listings by its dot
BLOCK = 1024 * 1024

Advance = Callable[[int], None]  # bytes read so far, added


class Source(Protocol):
    def check(self, request: IngestRequest) -> None:
        """JobFailed when the bytes are not what the upload promised; Transient when the
        storage cannot say."""

    def fetch(self, request: IngestRequest, work: Path, advance: Advance) -> tuple[Path, str]:
        """A local file with the bytes, and their SHA-256 (hex)."""

    def remove(self, request: IngestRequest) -> None:
        """Delete the uploaded bytes (the movie keeps its own copy); gone already is fine."""


def _size_problem(request: IngestRequest, size: int) -> None:
    name = request.original_name[:200]
    if size == 0:
        raise JobFailed(f"'{name}' is empty (0 bytes), so there is no video in it.")
    if size != request.size:
        raise JobFailed(
            f"Only {size:,} of the {request.size:,} bytes of '{name}' arrived; upload it again."
            if size < request.size
            else f"'{name}' has {size:,} bytes, not the {request.size:,} announced; upload it again."
        )


def _gone(request: IngestRequest) -> JobFailed:
    return JobFailed(f"The uploaded file '{request.original_name[:200]}' is gone; upload it again.")


class LocalSource:
    """Uploads in a folder on disk (the uploads folder; sources are relative to it)."""

    def __init__(self, uploads_dir: Path) -> None:
        self.uploads_dir = uploads_dir.resolve()

    def path(self, request: IngestRequest) -> Path:
        parts = request.source.split("/")
        if request.source.startswith("/") or "\\" in request.source or "\x00" in request.source:
            raise _gone(request)
        if any(p in ("", ".", "..") for p in parts):
            raise _gone(request)
        path = self.uploads_dir.joinpath(*parts)
        if not path.resolve().is_relative_to(self.uploads_dir):
            raise _gone(request)
        return path

    def check(self, request: IngestRequest) -> None:
        path = self.path(request)
        try:
            if path.is_symlink() or not path.is_file():
                raise _gone(request)
            _size_problem(request, path.stat().st_size)
        except OSError as exc:
            raise Transient(f"The uploads folder cannot be read ({exc.strerror}).") from None

    def fetch(self, request: IngestRequest, work: Path, advance: Advance) -> tuple[Path, str]:
        path = self.path(request)
        try:
            return path, sha256_of(path, advance)
        except OSError as exc:
            raise Transient(f"The uploaded file cannot be read ({exc.strerror}).") from None

    def remove(self, request: IngestRequest) -> None:
        try:
            self.path(request).unlink(missing_ok=True)
        except (OSError, JobFailed):
            pass  # the uploads side sweeps what is left after a day


class OciSource:
    """Uploads in the library's bucket, under `.uploads/`."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self.client = bucket.background  # patient: nobody waits on a page for this

    def name(self, request: IngestRequest) -> str:
        name = request.source
        rest = name[len(UPLOADS_PREFIX) :].split("/")
        if not name.startswith(UPLOADS_PREFIX) or any(p in ("", ".", "..") for p in rest):
            raise _gone(request)
        if len(name.encode()) > 1024 or "\x00" in name:
            raise _gone(request)
        return name

    def check(self, request: IngestRequest) -> None:
        name = self.name(request)
        head = self._call(
            "Checking the upload failed",
            lambda: self.client.head_object(self.bucket.namespace, self.bucket.name, name),
            answers={404: None},
        )
        if head is None:
            raise _gone(request)
        _size_problem(request, int(head.headers.get("content-length") or 0))

    def fetch(self, request: IngestRequest, work: Path, advance: Advance) -> tuple[Path, str]:
        """Download into `work` (kept across retries on this machine: a complete file is
        not read from the bucket again)."""
        name = self.name(request)
        local = work / "source"
        if local.is_file() and local.stat().st_size == request.size:
            return local, sha256_of(local, advance)
        partial = work / "source.partial"
        digest = hashlib.sha256()

        def download() -> None:
            response = self.client.get_object(self.bucket.namespace, self.bucket.name, name)
            # A body cut off mid-way raises the SDK's requests errors, which `call` words.
            try:
                with open(partial, "wb") as out:
                    for block in response.data.iter_content(BLOCK):
                        out.write(block)
                        digest.update(block)
                        advance(len(block))
            except OSError as exc:  # the worker's own disk
                raise Transient(f"The upload could not be saved ({exc.strerror}).") from None

        found = self._call("Reading the upload failed", download, answers={404: False})
        if found is False:
            raise _gone(request)
        _size_problem(request, partial.stat().st_size)
        os.replace(partial, local)
        return local, digest.hexdigest()

    def remove(self, request: IngestRequest) -> None:
        try:
            name = self.name(request)
            self._call(
                "Removing the upload failed",
                lambda: self.client.delete_object(self.bucket.namespace, self.bucket.name, name),
                answers={404: None},
            )
        except (Transient, JobFailed):
            pass  # left under .uploads/: the upload side sweeps it

    @staticmethod
    def _call(failure: str, action, answers):
        try:
            return call(failure, action, answers=answers)
        except StorageError as exc:
            raise Transient(str(exc)) from None


def sha256_of(path: Path, advance: Advance) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            advance(len(block))
    return digest.hexdigest()


def clear(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
