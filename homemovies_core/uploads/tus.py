"""The core of the tus 1.0 protocol for a local library: offsets, and appending one chunk.

The partial file's size is the upload's offset (tus HEAD), on a disk every replica shares.
A PATCH appends at exactly that offset (else 409, and the browser asks again), at most
`TUS_CHUNK` bytes and never past the file's size. One writer at a time per upload, across
replicas: a lock in the Cache (423 Locked while another request writes, which tus-js-client
retries). The HTTP side is `web/tus_routes.py`.
"""

from __future__ import annotations

import dataclasses
from typing import BinaryIO

from .errors import UploadError
from .records import UploadRecord
from .service import Uploads, cache_errors
from .targets import TUS_CHUNK, LocalTarget

# A PATCH may take this long in all (32 MiB at 1 Mbit/s is ~4.5 minutes): the lock outlives it.
PATCH_SECONDS = 15 * 60


class Receiving:
    """One PATCH being written: `write` chunks, then `close` (always) for the new offset."""

    def __init__(self, uploads: Uploads, record: UploadRecord, handle: BinaryIO, lock: str):
        self.uploads, self.record, self._handle, self._lock = uploads, record, handle, lock
        self.offset = handle.tell()
        # The most this PATCH may carry: one chunk, and never past the file's end.
        self.room = min(TUS_CHUNK, record.size - self.offset)

    def write(self, data: bytes) -> None:
        if len(data) > self.room:
            raise UploadError("Too large.", 413)
        self._handle.write(data)
        self.offset += len(data)
        self.room -= len(data)

    def close(self) -> int:
        """Keep what arrived (even from a request cut short: tus resumes from there)."""
        try:
            self._handle.close()
            record = dataclasses.replace(self.record, received=self.offset)
            cache_errors(lambda: self.uploads.store.save(record))
        finally:
            self.uploads.store.unlock(self.record.id, self._lock)
        return self.offset


def _local(uploads: Uploads) -> LocalTarget:
    if not isinstance(uploads.target, LocalTarget):
        raise UploadError("This library takes uploads straight to its bucket.", 404)
    return uploads.target


def offset(uploads: Uploads, user: str, upload_id: str) -> tuple[int, int]:
    """(bytes on the server, the upload's length) for tus HEAD."""
    record = uploads.own(user, upload_id)
    return _local(uploads).received(record), record.size


def receive(uploads: Uploads, user: str, upload_id: str, at: int, length: int | None) -> Receiving:
    """Open upload `upload_id` of `user` for a PATCH of `length` bytes (None: not declared)
    at offset `at`; UploadError with the tus status otherwise."""
    target = _local(uploads)
    record = uploads.own(user, upload_id)
    if not record.open:
        raise UploadError("This upload has already finished.", 409)
    if length is not None and (length > TUS_CHUNK or at + length > record.size):
        raise UploadError("Too large.", 413)
    lock = cache_errors(lambda: uploads.store.lock(upload_id, PATCH_SECONDS))
    if lock is None:
        raise UploadError("This upload is being written by another request.", 423)
    try:
        handle = target.files.append(upload_id, at)
    except BaseException:
        uploads.store.unlock(upload_id, lock)
        raise
    return Receiving(uploads, record, handle, lock)
