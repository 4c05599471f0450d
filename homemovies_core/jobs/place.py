"""Where uploads wait and new movies go, or the one sentence that says why adding is off.

- OCI: uploads go to `.uploads/` in the library's bucket and movies into the bucket.
- A local library: partial uploads wait in DIR/partial (DIR is `--uploads_dir`, else a
  hidden `.uploads` folder in the media folder) and movies are written into the media
  folder, or, when it is read-only, into DIR/library (storage/overlay.py lists both).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings
from ..storage.base import Storage
from ..storage.overlay import OverlayStorage, writable

PARTIAL_DIR = "partial"  # DIR/partial: uploads that have not finished (the upload side's)
HIDDEN_UPLOADS = ".uploads"  # the default DIR inside a writable media folder

OFF = "Adding videos is turned off on this server."
READ_ONLY = (
    "Adding videos is off: the library folder is read-only for the app, and no writable "
    "uploads folder is configured (--uploads_dir)."
)
NO_UPLOADS_DIR = "Adding videos is off: the uploads folder cannot be written by the app."


@dataclass(frozen=True)
class Placement:
    kind: str  # "local" or "oci"
    library: Path | None = None  # local: where new movies are written
    uploads: Path | None = None  # local: the uploads folder (partial uploads below it)
    reason: str | None = None  # why adding is off; None: it is on

    @property
    def partial(self) -> Path | None:
        """Where the upload side keeps uploads that have not finished (it makes the folder
        when it first needs it); the job's `source` is relative to `uploads`."""
        return None if self.uploads is None else self.uploads / PARTIAL_DIR


def place(settings: Settings, storage: Storage) -> Placement:
    """Where things go for the library `storage` (built from `settings`)."""
    if storage.kind != "local":
        return Placement("oci", reason=OFF if settings.no_uploads else None)
    if isinstance(storage, OverlayStorage):
        library = storage.write_root.root
    else:
        library = storage.root  # type: ignore[attr-defined]
    uploads = settings.uploads_dir or library / HIDDEN_UPLOADS
    if settings.no_uploads:
        return Placement("local", library, uploads, OFF)
    if not writable(library):
        why = NO_UPLOADS_DIR if settings.uploads_dir else READ_ONLY
        return Placement("local", library, uploads, why)
    if not _could_make(uploads / PARTIAL_DIR):
        return Placement("local", library, uploads, NO_UPLOADS_DIR)
    return Placement("local", library, uploads)


def _could_make(folder: Path) -> bool:
    """Whether `folder` is, or could be made, a writable folder (nothing is made here: the
    upload side makes it when the first upload starts)."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and writable(folder)
