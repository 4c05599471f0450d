"""Upload a folder to a prefix of a bucket: in parallel, resumable, the master playlist last.

- Resumable: what is already under the prefix with the same size and MD5 is skipped, so a
  re-run after a failure sends only what is missing.
- OCI has no rename, so before the first object changes a small marker object goes up
  beside the movie (`Name.hls.incomplete`, incomplete.py): the app lists no movie
  that has one. It goes once the movie is whole, or, with `unmark=False`, when the caller
  says (`unmark`: ingest first puts the movie into its folder's index). The master playlist
  goes last, too: until it is there the movie cannot start.
  Replacing a movie takes its old playlist away first, so nobody starts a mix of old and new
  segments; objects the new movie no longer has are removed at the end.
- Files above the part size go up as multipart uploads (parts retry on their own); HLS
  segments are a few MB, so in practice only a long single-rendition source gets there.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import oci
from oci.object_storage import UploadManager

from .. import incomplete
from ..library import HLS_PLAYLIST
from ..media_types import content_type
from ..storage.base import StorageError
from .client import Bucket, pages
from .errors import call, describe_error

DEFAULT_WORKERS = 16
PART_SIZE = 128 * 1024 * 1024
PART_WORKERS = 4  # parallel parts of one multipart upload
_HASH_BLOCK = 1024 * 1024
MARKER_TEXT = (
    b"Home Movies is adding the movie beside this object; the app does not list it until this "
    b"object is gone. Left behind by an upload that stopped: run the same ingest again, or see "
    b"`python -m homemovies_core index`.\n"
)

Advance = Callable[[float], None]
# A progress bar: (label, total bytes) -> a context yielding `advance(bytes)`.
Bar = Callable[[str, int], AbstractContextManager[Advance]]


class UploadError(StorageError):
    """OCI failed part-way; what is up stays up and a re-run resumes."""


class AlreadyUploaded(StorageError):
    """The prefix already holds a complete movie (its master playlist) and overwriting
    was not asked for."""


@dataclass(frozen=True)
class LocalFile:
    relative: str  # "v0/seg00001.ts"
    path: Path
    size: int
    md5: str  # base64 MD5 of the whole file (sent as Content-MD5 for single-part uploads)
    listed_md5: str  # what ListObjects will report for it once uploaded


@dataclass(frozen=True)
class RemoteObject:
    size: int | None
    md5: str | None


@dataclass(frozen=True)
class UploadReport:
    uploaded: int
    skipped: int
    deleted: int
    bytes_uploaded: int
    marked: bool  # the movie's marker is still up (unmark=False): the caller removes it


@contextmanager
def no_bar(_label: str, _total: int) -> Iterator[Advance]:
    yield lambda _amount: None


class Uploader:
    """Uploads into one bucket; every call carries the bucket's patient BACKGROUND policy."""

    def __init__(
        self, bucket: Bucket, *, workers: int = DEFAULT_WORKERS, part_size: int = PART_SIZE
    ) -> None:
        self.client = bucket.background
        self.namespace = bucket.namespace
        self.bucket = bucket.name
        self.where = bucket.where
        self.workers = workers
        self.part_size = part_size
        _widen_connection_pool(self.client, bucket.endpoint, workers)

    # -- what is there ----------------------------------------------------------------------
    def existing(self, prefix: str) -> dict[str, RemoteObject]:
        """Every object under `prefix` with its size and MD5, and the movie's marker when it
        is there (its name starts like the prefix, without the slash): one listing."""
        marker = incomplete.marker(prefix)

        def list_prefix() -> dict[str, RemoteObject]:
            listed = pages(
                self.client.list_objects,
                self.namespace,
                self.bucket,
                prefix=prefix.rstrip("/"),
                fields="name,size,md5",
            )
            return {
                o.name: RemoteObject(o.size, o.md5)
                for page in listed
                for o in page.objects or ()
                if o.name.startswith(prefix) or o.name == marker
            }

        return call(f"Listing '{prefix}' in {self.where} failed", list_prefix, error=UploadError)

    # -- uploading --------------------------------------------------------------------------
    def upload_folder(
        self,
        folder: Path,
        prefix: str,
        *,
        overwrite: bool = False,
        bar: Bar = no_bar,
        unmark: bool = True,
    ) -> UploadReport:
        """Upload every file under `folder` to `prefix`, skipping what is already there, the
        master playlist last; then remove objects under `prefix` this movie no longer has.
        The movie's marker goes up before anything under `prefix` changes (module docstring);
        a movie whose marker is still there is an unfinished upload, resumed as any other."""
        existing = self.existing(prefix)
        master_name, marker = prefix + HLS_PLAYLIST, incomplete.marker(prefix)
        marked = existing.pop(marker, None) is not None
        if master_name in existing and not overwrite and not marked:
            raise AlreadyUploaded(f"'{prefix}' already exists in {self.where}.")
        if not (folder / HLS_PLAYLIST).is_file():
            raise StorageError(f"{folder} has no {HLS_PLAYLIST} to upload.")
        files = self._hash_all(folder)
        todo = [f for f in files if not _same(existing.get(prefix + f.relative), f)]
        master = [f for f in todo if f.relative == HLS_PLAYLIST]
        rest = [f for f in todo if f.relative != HLS_PLAYLIST]
        stale = sorted(set(existing) - {prefix + f.relative for f in files})
        total = sum(f.size for f in todo)
        # Inside the bar: entering it is the caller's last word on whether to write at all
        # (a worker checks that the job is still its own: jobs/progress.py).
        with bar(f"Uploading '{prefix}' ({len(todo)} files)", total) as advance:
            if (todo or stale) and not marked:
                self._put_marker(marker)
                marked = True
            if master and master_name in existing:
                self._delete(master_name)  # replacing: no mix of old and new segments
            sent = self._upload_all(prefix, rest, advance)
            sent += self._upload_all(prefix, master, advance)
        for name in stale:  # unreferenced now: left over from an earlier ladder
            self._delete(name)
        if marked and unmark:
            self.unmark(prefix)
            marked = False
        return UploadReport(
            uploaded=len(todo),
            skipped=len(files) - len(todo),
            deleted=len(stale),
            bytes_uploaded=sent,
            marked=marked,
        )

    def unmark(self, prefix: str) -> None:
        """Remove the movie's marker: from now on the app lists it (gone already is fine)."""
        self._delete(incomplete.marker(prefix))

    def _put_marker(self, name: str) -> None:
        call(
            f"Writing '{name}' failed",
            lambda: self.client.put_object(
                self.namespace, self.bucket, name, MARKER_TEXT,
                content_length=len(MARKER_TEXT), content_type="text/plain; charset=utf-8",
            ),
            error=UploadError,
        )  # fmt: skip

    def _hash_all(self, folder: Path) -> list[LocalFile]:
        paths = local_files(folder)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="hash") as pool:
            return list(
                pool.map(
                    lambda p: hash_file(p, p.relative_to(folder).as_posix(), self.part_size), paths
                )
            )

    def _upload_all(self, prefix: str, files: list[LocalFile], advance: Advance) -> int:
        if not files:
            return 0
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="upload")
        try:
            # Largest first: the long tail of a parallel upload is its biggest files.
            ordered = sorted(files, key=lambda f: -f.size)
            futures = {pool.submit(self._put, prefix + f.relative, f, advance): f for f in ordered}
            done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        finally:
            # After a failure or Ctrl-C: drop what has not started, let running uploads end
            # (so the count below includes the uploads that were still running).
            pool.shutdown(wait=True, cancel_futures=True)
        failed = next((f for f in done if f.exception() is not None), None)
        if failed is None:
            return sum(f.size for f in files)
        ok = sum(1 for f in futures if f.done() and not f.cancelled() and f.exception() is None)
        raise UploadError(
            f"Uploading '{prefix}' stopped ({ok} more of its files were sent): "
            f"{describe_error(failed.exception())} (at '{futures[failed].relative}')."
        )

    def _put(self, name: str, file: LocalFile, advance: Advance) -> None:
        kind = content_type(name)
        if file.size > self.part_size:
            manager = UploadManager(
                self.client, allow_parallel_uploads=True, parallel_process_count=PART_WORKERS
            )
            manager.upload_file(
                self.namespace,
                self.bucket,
                name,
                str(file.path),
                part_size=self.part_size,
                content_type=kind,
                metadata={"md5": file.md5},
                progress_callback=advance,
            )
            return
        with open(file.path, "rb") as body:
            self.client.put_object(
                self.namespace,
                self.bucket,
                name,
                body,
                content_length=file.size,
                content_type=kind,
                content_md5=file.md5,
            )
        advance(file.size)

    def _delete(self, name: str) -> None:
        call(
            f"Deleting '{name}' failed",
            lambda: self.client.delete_object(self.namespace, self.bucket, name),
            error=UploadError,
            answers={404: None},  # already gone is what we wanted
        )


def _same(remote: RemoteObject | None, local: LocalFile) -> bool:
    """Skip an object only when OCI's size and MD5 both match what we would send. For a
    multipart object OCI lists "<md5 of part md5s>-<parts>", which we compute for our own
    part size; an object uploaded with another part size is simply sent again."""
    return remote is not None and remote.size == local.size and remote.md5 == local.listed_md5


def _widen_connection_pool(client, endpoint: str, size: int) -> None:
    """requests keeps 10 connections per host by default; more parallel uploads than that
    would open and drop a connection per request. The client's `session` is a public
    requests Session: mount the SDK's own adapter class there again, with a larger pool
    (what the SDK's UploadManager does for its parallel parts)."""
    scheme = "http://" if endpoint.startswith("http://") else "https://"
    adapter = oci.base_client.OCIHTTPAdapter(pool_connections=10, pool_maxsize=max(size, 10))
    client.base_client.session.mount(scheme, adapter)


def hash_file(path: Path, relative: str, part_size: int = PART_SIZE) -> LocalFile:
    """Hash once for both checks: the file's MD5, and the MD5 OCI lists for a multipart
    object (MD5 of the parts' MD5s, then "-<parts>"), which depends on our part size."""
    whole = hashlib.md5()
    parts: list[bytes] = []
    part = hashlib.md5()
    in_part = 0
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(min(_HASH_BLOCK, part_size - in_part)):
            whole.update(block)
            part.update(block)
            in_part += len(block)
            size += len(block)
            if in_part == part_size:
                parts.append(part.digest())
                part, in_part = hashlib.md5(), 0
    if in_part:
        parts.append(part.digest())
    md5 = base64.b64encode(whole.digest()).decode()
    if size > part_size:
        combined = base64.b64encode(hashlib.md5(b"".join(parts)).digest()).decode()
        listed = f"{combined}-{len(parts)}"
    else:
        listed = md5
    return LocalFile(relative, path, size, md5, listed)


def local_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
