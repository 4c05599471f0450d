"""Uploads to a local library: the bytes, on the disk every replica shares.

`<uploads dir>/partial/<id>` grows as the browser's chunks arrive (tus PATCH requests); its
size *is* the upload's offset, so any replica can say how far an upload got. A complete file
is renamed to `<uploads dir>/received/<id><ext>`, where the job that makes the movie finds it
(`IngestRequest.source` is that path relative to the uploads dir). Neither folder is inside
the served library: nothing here is ever a movie, or reachable by a playback URL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import UploadError

PARTIAL = "partial"
RECEIVED = "received"
# Space kept free on the uploads disk (the movie is made beside it, and the system needs room).
SPARE_BYTES = 512 * 1024 * 1024


class PartialFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.partial_dir = root / PARTIAL
        self.received_dir = root / RECEIVED
        self._ready = False

    def problem(self) -> str | None:
        """Why uploads cannot be kept here (one sentence), or None; makes the folders. Once
        they could be made, that is remembered (every page view asks)."""
        if self._ready:
            return None
        try:
            self.partial_dir.mkdir(parents=True, exist_ok=True)
            self.received_dir.mkdir(parents=True, exist_ok=True)
            probe = self.partial_dir / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return (
                f"Uploads cannot be kept in {self.root} ({exc.strerror or type(exc).__name__}); "
                f"start the app with --uploads_dir naming a writable folder."
            )
        self._ready = True
        return None

    def partial(self, upload_id: str) -> Path:
        return self.partial_dir / upload_id

    def source(self, upload_id: str, extension: str) -> str:
        """Where the finished upload will be, relative to the uploads dir."""
        return f"{RECEIVED}/{upload_id}{extension}"

    def create(self, upload_id: str) -> None:
        try:
            self.partial(upload_id).touch(exist_ok=True)
        except OSError as exc:
            raise UploadError(_disk_trouble(exc), 503) from None

    def offset(self, upload_id: str) -> int | None:
        """Bytes received so far, or None if the partial file is gone."""
        try:
            return self.partial(upload_id).stat().st_size
        except OSError:
            return None

    def written_at(self, upload_id: str) -> float | None:
        try:
            return self.partial(upload_id).stat().st_mtime
        except OSError:
            return None

    def has_room_for(self, size: int) -> bool:
        try:
            free = shutil.disk_usage(self.partial_dir).free
        except OSError:
            return True  # the write itself will say what is wrong
        return size + SPARE_BYTES <= free

    def append(self, upload_id: str, offset: int) -> BinaryIO:
        """The partial file opened for appending at `offset`: UploadError(409) when the file
        does not end there (the browser must ask for the offset again: tus HEAD)."""
        path = self.partial(upload_id)
        try:
            handle = path.open("r+b")
        except FileNotFoundError:
            raise UploadError("This upload is no longer on the server.", 404) from None
        except OSError as exc:
            raise UploadError(_disk_trouble(exc), 503) from None
        size = os.fstat(handle.fileno()).st_size
        if size != offset:
            handle.close()
            raise UploadError(f"The server has {size} bytes of this upload, not {offset}.", 409)
        handle.seek(offset)
        return handle

    def finish(self, upload_id: str, source: str) -> None:
        """Move a complete partial file to `source` (received/), in one rename."""
        target = self.root / source
        if target.exists():
            return  # an earlier attempt got this far
        try:
            os.replace(self.partial(upload_id), target)
        except FileNotFoundError:
            raise UploadError("This upload is no longer on the server.", 404) from None
        except OSError as exc:
            raise UploadError(_disk_trouble(exc), 503) from None

    def discard(self, upload_id: str, source: str = "") -> None:
        for path in (self.partial(upload_id), self.root / source if source else None):
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink()

    def sweep(self, wanted: Iterable[str], older_than: float) -> int:
        """Delete partial files of uploads not in `wanted` that nobody wrote to for
        `older_than` seconds; returns how many."""
        keep, now, deleted = set(wanted), time.time(), 0
        try:
            entries = list(os.scandir(self.partial_dir))
        except OSError:
            return 0
        for entry in entries:
            try:
                stale = now - entry.stat().st_mtime > older_than
            except OSError:
                continue
            if entry.name not in keep and stale and entry.is_file():
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    deleted += 1
        return deleted


def _disk_trouble(exc: OSError) -> str:
    return f"The server could not write the upload ({exc.strerror or type(exc).__name__})."
