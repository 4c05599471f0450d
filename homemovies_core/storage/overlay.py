"""One library from two folders on disk: a read-only media folder and a writable one beside it.

A deployment may mount the family's videos read-only (deploy/compose.yaml) and still let
people add videos: new movies go to `--uploads_dir`/library/<folder>/, and the app lists
both folders as one library. Folders of the same name are merged; where both roots hold
the same name, the first root's file is listed. A small file both hold (a folder's index)
is read from whichever copy was written last, and every write goes to the writable root,
so an index rewritten there keeps the entries of the read-only one it was made from.

Both roots are `LocalStorage` with the same URL key, so a playback token made for a name
is good in whichever root holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Grant, Listing, ObjectInfo, StorageError
from .local import LocalStorage


class OverlayStorage:
    kind = "local"

    def __init__(self, roots: list[LocalStorage], write_root: LocalStorage) -> None:
        if write_root not in roots:
            raise ValueError("the writable root must be one of the roots")
        self.roots = roots
        self.write_root = write_root
        self.root = roots[0].root  # the library as people know it (check, messages)
        self.scope = "+".join(r.scope for r in roots)

    # -- listing ---------------------------------------------------------------------------
    def list_level(self, prefix: str) -> Listing:
        objects: dict[str, ObjectInfo] = {}
        prefixes: dict[str, ObjectInfo] = {}
        for root in self.roots:
            listing = root.list_level(prefix)
            for obj in listing.objects:
                objects.setdefault(obj.name, obj)
            for sub in listing.prefixes:
                prefixes.setdefault(sub.name, sub)
        return Listing(
            tuple(objects[n] for n in sorted(objects)), tuple(prefixes[n] for n in sorted(prefixes))
        )

    def read_small(self, name: str, limit: int) -> bytes | None:
        newest = self._newest(name)
        return None if newest is None else newest.read_small(name, limit)

    def _newest(self, name: str) -> LocalStorage | None:
        """The root whose copy of `name` was written last (None: no root has it)."""
        found: list[tuple[float, int, LocalStorage]] = []
        for order, root in enumerate(self.roots):
            path = root.resolve(name)
            try:
                if path is not None and path.is_file():
                    found.append((path.stat().st_mtime, -order, root))
            except OSError:
                continue
        return max(found, key=lambda f: f[:2])[2] if found else None

    def write_small(
        self, name: str, data: bytes, *, content_type: str | None = None, replace: bool = True
    ) -> bool:
        if not replace and any(self._holds(root, name) for root in self.roots):
            return False
        path = self.write_root.resolve(name)
        if path is None:
            raise StorageError(f"'{name}' is not a file name inside the library.")
        try:  # the folder may so far exist in the read-only root only
            os.makedirs(path.parent, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"'{name}' could not be written ({exc.strerror}).") from None
        return self.write_root.write_small(name, data, content_type=content_type, replace=replace)

    @staticmethod
    def _holds(root: LocalStorage, name: str) -> bool:
        path = root.resolve(name)
        return path is not None and os.path.lexists(path)

    # -- what the backend runs in the app ----------------------------------------------------
    def routes(self) -> list:
        from . import local_routes

        return local_routes.routes(self.authorize)

    def start_background(self, cache) -> None:
        """Nothing to do in the background for folders on disk."""

    def ping(self) -> bool:
        return all(root.ping() for root in self.roots)

    # -- playback --------------------------------------------------------------------------
    def grant(self, target: str, *, prefix: bool, expires_at: float) -> Grant:
        return self.roots[0].grant(target, prefix=prefix, expires_at=expires_at)

    def authorize(self, token: str, name: str) -> Path | None:
        for root in self.roots:
            path = root.authorize(token, name)
            if path is not None:
                return path
        return None

    def resolve(self, name: str) -> Path | None:
        """The path of `name` in the root that holds it (the first one), else where the
        writable root would put it; None for a name that would leave the library."""
        for root in self.roots:
            path = root.resolve(name)
            if path is not None and os.path.lexists(path):
                return path
        return self.write_root.resolve(name)


# -- where a local library takes new movies ------------------------------------------------
LIBRARY_DIR = "library"  # DIR/library/<folder>/: new movies when the media folder is read-only


def writable(folder: Path) -> bool:
    """Whether this process may create entries in `folder` (a read-only mount says no, even
    to root)."""
    return os.access(folder, os.W_OK | os.X_OK)


def open_library(
    media: Path, uploads_dir: Path | None, url_key: bytes
) -> LocalStorage | OverlayStorage:
    """The media folder alone, or, when `--uploads_dir` is given, the media folder and
    DIR/library as one library (written to the media folder while it is writable)."""
    primary = LocalStorage(media, url_key)
    if uploads_dir is None:
        return primary
    extra_dir = uploads_dir / LIBRARY_DIR
    try:
        extra_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return primary  # adding is off; the Add videos page says why (jobs/place.py)
    extra = LocalStorage(extra_dir, url_key)
    return OverlayStorage([primary, extra], primary if writable(primary.root) else extra)
