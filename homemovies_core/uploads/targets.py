"""Where an upload's bytes go, and how the app checks and cleans them up, per backend.

- `LocalTarget`: partial files on the disk every replica shares (`partials.py`); the browser
  sends chunks to the app's tus route.
- `OciTarget`: one object under `.uploads/` of the library's bucket, written by the browser
  itself through a write PAR (`oci/uploads.py`); no video byte passes through the app.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterable
from typing import Protocol

from ..storage.base import StorageError
from .errors import UploadError
from .partials import PartialFiles
from .records import LIFETIME_SECONDS, UploadRecord

log = logging.getLogger(__name__)

MIB = 1024 * 1024
TUS_CHUNK = 32 * MIB  # the most one tus PATCH may carry: passes a proxy's 100 MB body limit
PART_SIZE = 16 * MIB  # OCI multipart parts: 8-64 MiB, more only for a file past 10,000 parts
MAX_PARTS = 10_000
GRACE_SECONDS = 600  # a file or PAR younger than this may belong to an upload starting now
INCOMPLETE = "Not all of the video has arrived yet."


class Target(Protocol):
    kind: str

    def problem(self) -> str | None: ...
    def source(self, upload_id: str, extension: str) -> str: ...
    def has_room_for(self, size: int) -> bool: ...
    def begin(self, record: UploadRecord) -> None: ...
    def received(self, record: UploadRecord) -> int: ...
    def written_at(self, record: UploadRecord) -> float | None: ...
    def arrived(self, record: UploadRecord) -> bool: ...
    def finish(self, record: UploadRecord) -> None: ...
    def discard(self, record: UploadRecord) -> None: ...
    def write_url(self, record: UploadRecord, expires_at: float) -> tuple[str, str]: ...
    def forget_par(self, par_id: str) -> None: ...
    def part_size(self, size: int) -> int: ...
    def sweep(self, records: Iterable[UploadRecord]) -> int: ...


def part_size(size: int) -> int:
    """Parts of PART_SIZE, or bigger (whole MiB) when the file would need over 10,000."""
    return max(PART_SIZE, math.ceil(size / MAX_PARTS / MIB) * MIB)


def _storage_errors(action):
    try:
        return action()
    except StorageError as exc:
        raise UploadError(str(exc), 503) from None


class LocalTarget:
    kind = "tus"

    def __init__(self, files: PartialFiles) -> None:
        self.files = files

    def problem(self) -> str | None:
        return self.files.problem()

    def source(self, upload_id: str, extension: str) -> str:
        return self.files.source(upload_id, extension)

    def has_room_for(self, size: int) -> bool:
        return self.files.has_room_for(size)

    def begin(self, record: UploadRecord) -> None:
        self.files.create(record.id)

    def received(self, record: UploadRecord) -> int:
        offset = self.files.offset(record.id)
        if offset is None and (self.files.root / record.source).is_file():
            return record.size  # renamed already: complete
        return offset or 0

    def written_at(self, record: UploadRecord) -> float | None:
        """When a byte last arrived (a slow PATCH writes for minutes before it ends)."""
        return self.files.written_at(record.id)

    def arrived(self, record: UploadRecord) -> bool:
        return self.received(record) == record.size

    def finish(self, record: UploadRecord) -> None:
        if self.received(record) != record.size:
            raise UploadError(INCOMPLETE, 409)
        self.files.finish(record.id, record.source)

    def discard(self, record: UploadRecord) -> None:
        self.files.discard(record.id, record.source)

    def write_url(self, record: UploadRecord, expires_at: float) -> tuple[str, str]:
        raise UploadError("This library takes uploads through the app, not a link.", 400)

    def forget_par(self, par_id: str) -> None:
        """Nothing to forget: a local library makes no links."""

    def part_size(self, size: int) -> int:
        return TUS_CHUNK

    def sweep(self, records: Iterable[UploadRecord]) -> int:
        wanted = [r.id for r in records if r.open]
        return self.files.sweep(wanted, older_than=GRACE_SECONDS)


class OciTarget:
    kind = "oci"

    def __init__(self, uploads, *, clock=time.time) -> None:  # uploads: oci.uploads.OciUploads
        self.oci, self._clock = uploads, clock

    def problem(self) -> str | None:
        return None

    def source(self, upload_id: str, extension: str) -> str:
        from ..oci.uploads import UPLOAD_PREFIX

        return f"{UPLOAD_PREFIX}{upload_id}{extension}"

    def has_room_for(self, size: int) -> bool:
        return True  # a bucket has room

    def begin(self, record: UploadRecord) -> None:
        """Nothing yet: the write PAR is made when the browser asks for it."""

    def received(self, record: UploadRecord) -> int:
        return record.received

    def written_at(self, record: UploadRecord) -> float | None:
        return None  # the browser reports each part done: the record's own time says it

    def arrived(self, record: UploadRecord) -> bool:
        return _storage_errors(lambda: self.oci.object_size(record.source)) == record.size

    def finish(self, record: UploadRecord) -> None:
        size = _storage_errors(lambda: self.oci.object_size(record.source))
        if size is None:
            raise UploadError(INCOMPLETE, 409)
        if size != record.size:
            raise UploadError(
                f"Only {size} of {record.size} bytes arrived; choose the file again.", 422
            )
        if record.par_id:
            self.forget_par(record.par_id)

    def discard(self, record: UploadRecord) -> None:
        """Delete the write PAR, any multipart upload in progress and the object; best effort
        (the sweep finishes what fails now)."""
        with contextlib.suppress(StorageError):
            if record.par_id:
                self.oci.delete_par(record.par_id)
            for upload in self.oci.open_multiparts():
                if upload.object_name == record.source:
                    self.oci.abort(upload)
            self.oci.delete_object(record.source)

    def write_url(self, record: UploadRecord, expires_at: float) -> tuple[str, str]:
        return _storage_errors(lambda: self.oci.write_url(record.source, expires_at))

    def forget_par(self, par_id: str) -> None:
        with contextlib.suppress(StorageError):
            self.oci.delete_par(par_id)

    def part_size(self, size: int) -> int:
        return part_size(size)

    def sweep(self, records: Iterable[UploadRecord]) -> int:
        """Abort multipart uploads and delete write PARs that no open upload needs (cancelled,
        finished, expired, or begun in a browser that lost them); returns how many."""
        wanted = {r.source for r in records if r.open}
        now, done = self._clock(), 0
        for upload in self.oci.open_multiparts():
            abandoned = upload.object_name not in wanted and now - upload.created > GRACE_SECONDS
            if abandoned or now - upload.created > LIFETIME_SECONDS:
                self.oci.abort(upload)
                done += 1
        live_pars = {r.par_id for r in records if r.open and r.par_id}
        for par in self.oci.write_pars():
            if par.id not in live_pars and par.object_name not in wanted:
                self.oci.delete_par(par.id)
                done += 1
        return done
