"""A folder on disk. Playback URLs are sealed, expiring tokens served by local_routes.py.

A URL is `/video/<token>/<name>` where the token is encrypted (see `signing.seal`): it names
the file or `.hls/` folder it grants, so the URL itself shows no folder. After the token
comes the file's own name (one file) or the name relative to the `.hls/` folder (so the
playlist's relative segment URLs resolve), and nothing above it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from .. import signing
from ..files import write_atomically
from . import local_routes
from .base import Grant, Listing, ObjectInfo, StorageError, quote_name

URL_PREFIX = "/video"


class LocalStorage:
    kind = "local"
    media_origin = None  # the app serves the bytes itself (/video)

    def __init__(self, root: Path, url_key: bytes) -> None:
        self.root = root.resolve()
        self.scope = str(self.root)
        self._key = url_key

    # -- listing ---------------------------------------------------------------------------
    def list_level(self, prefix: str) -> Listing:
        directory = self.resolve(prefix) if prefix else self.root
        if directory is None or not directory.is_dir():
            return Listing((), ())
        objects, prefixes = [], []
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise StorageError(
                f"The folder {prefix or '/'} could not be read ({exc.strerror})."
            ) from None
        for entry in entries:
            if entry.name.startswith("."):  # hidden files and our own temp folders
                continue
            if not _utf8(entry.name):  # not UTF-8 on disk: no URL or page can carry it
                continue
            name = prefix + entry.name
            try:
                if self.resolve(name) is None:  # a symlink leaving the library
                    continue
                stat = entry.stat()
            except OSError:
                continue
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            if entry.is_dir():
                movie = entry.name.lower().endswith(".hls")
                if movie and self.folder(name + "/") is None:
                    continue  # reached through a symlink: no grant would play it (`authorize`)
                size = _tree_size(Path(entry.path)) if movie else None
                prefixes.append(ObjectInfo(name + "/", size, modified))
            elif entry.is_file():
                objects.append(ObjectInfo(name, stat.st_size, modified))
        objects.sort(key=lambda o: o.name)
        prefixes.sort(key=lambda o: o.name)
        return Listing(tuple(objects), tuple(prefixes))

    def read_small(self, name: str, limit: int) -> bytes | None:
        path = self.resolve(name)
        if path is None or not _is_file(path):
            return None
        try:
            if path.stat().st_size > limit:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def write_small(
        self, name: str, data: bytes, *, content_type: str | None = None, replace: bool = True
    ) -> bool:
        """Write a small file in one step: readers see the old file or the new one, never
        half of one. With `replace` false an existing file is kept and False returned.

        The bytes go to a hidden file beside the target (listings skip dot files), which is
        then renamed over it (or hard-linked to it, which fails if the target exists)."""
        del content_type  # a file on disk carries no type; /video serves by extension
        path = self.resolve(name)
        if path is None or name.endswith("/"):
            raise StorageError(f"'{name}' is not a file name inside the library.")
        try:
            # The usual permissions for this umask: the app may run as another user.
            return write_atomically(path, data, replace=replace)
        except OSError as exc:
            raise StorageError(f"'{name}' could not be written ({exc.strerror}).") from None

    # -- what the backend runs in the app ----------------------------------------------------
    def routes(self) -> list:
        """Our own /video route: a folder's bytes are served by the app."""
        return local_routes.routes(self.authorize)

    def start_background(self, cache) -> None:
        """Nothing to do in the background for a folder on disk."""

    def ping(self) -> bool:
        return self.root.is_dir()

    # -- playback --------------------------------------------------------------------------
    def grant(self, target: str, *, prefix: bool, expires_at: float) -> Grant:
        token = signing.seal(self._key, {"p": target, "x": int(prefix)}, expires_at)
        base = f"{URL_PREFIX}/{token}/"
        grant_id = "local:" + hashlib.sha256(token.encode()).hexdigest()[:12]
        if prefix:
            return Grant(url=base, expires_at=int(expires_at), id=grant_id, relative_to=target)
        return Grant(
            url=base + quote_name(_basename(target)), expires_at=int(expires_at), id=grant_id
        )

    def authorize(self, token: str, name: str) -> Path | None:
        """The file a /video/<token>/<name> request may read, or None (forged, expired, out of
        scope, outside the root, or not a regular file).

        `name` is relative to the granted `.hls/` folder, or the granted file's own name. The
        file's real path must stay inside the granted folder: a symlink in it that points
        elsewhere, even elsewhere in the library, does not widen what the token reads; nor
        does a granted folder that is itself a symlink (see `folder`).
        """
        payload = signing.unseal(self._key, token)
        if payload is None:
            return None
        target = payload.get("p")
        if not isinstance(target, str) or not target or not isinstance(name, str):
            return None
        if payload.get("x"):
            folder = self.folder(target)
            path = self.resolve(target + name) if name else None
            if folder is None or path is None or not path.is_relative_to(folder):
                return None
        else:
            if name != _basename(target):
                return None
            path = self.resolve(target)
        return path if path is not None and _is_file(path) else None

    def folder(self, name: str) -> Path | None:
        """The folder `name` ("a/b.hls/") names, only if no part of its path is a symlink.

        A grant covers the files below the folder it names. `Uploads/Party.hls ->
        ../Family 2023` would make a grant for "Uploads/Party.hls/" one for all of Family 2023:
        the folder's real path must be the path its name spells."""
        if not name.endswith("/"):
            return None
        path = self.resolve(name)
        spelled = self.root.joinpath(*name[:-1].split("/"))
        return path if path is not None and path == spelled else None

    def resolve(self, name: str) -> Path | None:
        """Map an object name to a path inside the root; None for anything that would escape it
        ("..", absolute paths, backslashes, NUL, symlinks pointing outside)."""
        if not name or "\x00" in name or "\\" in name or name.startswith("/"):
            return None
        parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
        if any(p in ("..", ".", "") for p in parts):
            return None
        try:
            path = (self.root.joinpath(*parts)).resolve()
        except (OSError, RuntimeError, ValueError):
            return None
        return path if path.is_relative_to(self.root) else None


def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _basename(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def _utf8(name: str) -> bool:
    try:
        name.encode()
    except UnicodeEncodeError:  # undecodable bytes come back from os.scandir as surrogates
        return False
    return True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say: not a file we have
        return False
