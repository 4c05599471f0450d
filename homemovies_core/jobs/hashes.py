"""Which movies the library already has, by the SHA-256 of their originals.

The folder indexes are the record (each movie added from a browser has its original's
digest there, copied from its info.json); the Cache holds a digest -> movie map made from
them, so checking an upload costs one Cache read and one small read that confirms the movie
is still there. The map is made again from the folder indexes (one small read per folder)
when the Cache has not been filled for a day, so movies removed or added by hand are found.

Two uploads of the same video at once: the first to `claim` its digest goes on, the other
waits for it (and then finds its movie).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from .. import library
from ..cache import Cache, get_json
from ..index.formats import INFO_LIMIT, INFO_NAME, FormatError, decode_info, read_index
from ..storage.base import Storage
from .model import Duplicate

KEEP_SECONDS = 30 * 24 * 3600
SCAN_SECONDS = 24 * 3600
CLAIM_SECONDS = 24 * 3600


class HashIndex:
    def __init__(self, cache: Cache, storage: Storage) -> None:
        self.cache = cache
        self.storage = storage
        scope = hashlib.sha256(f"{storage.kind}:{storage.scope}".encode()).hexdigest()[:16]
        self._prefix = f"jobs:sha256:{scope}:"

    def find(self, sha256: str) -> Duplicate | None:
        """The movie whose original has this digest, if the library has one."""
        found = self._cached(sha256)
        if found is None and self.cache.get(self._prefix + "scanned") is None:
            self._scan()
            found = self._cached(sha256)
        return found

    def remember(self, sha256: str, movie: Duplicate) -> None:
        self.cache.set(self._prefix + sha256, json.dumps(dataclasses.asdict(movie)), KEEP_SECONDS)

    def remember_movie(self, key: str) -> None:
        """Remember the movie at `key` by its original's digest (from its info.json)."""
        data = self.storage.read_small(key + INFO_NAME, INFO_LIMIT)
        try:
            sha256 = decode_info(data).sha256 if data is not None else None
        except FormatError:
            sha256 = None
        if sha256:
            self.remember(sha256, movie_of(key))

    def claim(self, sha256: str, job_id: str) -> bool:
        """Whether `job_id` may make the movie of this content (no other job is making it)."""
        key = self._prefix + "claim:" + sha256
        return self.cache.add(key, job_id, CLAIM_SECONDS) or self.cache.get(key) == job_id

    def release(self, sha256: str, job_id: str) -> None:
        key = self._prefix + "claim:" + sha256
        if self.cache.get(key) == job_id:
            self.cache.delete(key)

    def _cached(self, sha256: str) -> Duplicate | None:
        raw = get_json(self.cache, self._prefix + sha256)
        if not isinstance(raw, dict):
            return None
        try:
            movie = Duplicate(**raw)
        except TypeError:
            return None
        if self.holds(movie.key, sha256):
            return movie
        self.cache.delete(self._prefix + sha256)  # removed (or replaced) since
        return None

    def holds(self, key: str, sha256: str) -> bool:
        """Whether the movie at `key` is there and was made from content with this digest."""
        data = self.storage.read_small(key + INFO_NAME, INFO_LIMIT)
        try:
            return data is not None and decode_info(data).sha256 == sha256
        except FormatError:
            return False

    def _scan(self) -> None:
        """Fill the map from every folder's index (one small read each)."""
        for folder in library.folders_in(self.storage.list_level("")):
            for name, entry in read_index(self.storage, folder).entries.items():
                if entry.sha256 and library.is_hls_prefix(name):
                    self.remember(entry.sha256, movie_of(folder + name))
        self.cache.set(self._prefix + "scanned", "1", SCAN_SECONDS)


def movie_of(key: str) -> Duplicate:
    """The `Duplicate` that names the movie at `key` ("Folder/Name.hls/")."""
    folder = library.folder_of(key)
    return Duplicate(key=key, title=library.display_name(key), folder=library.folder_title(folder))
