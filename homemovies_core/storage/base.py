"""What a storage backend offers: one-level listings, small reads, playback grants.

A backend knows nothing of videos; `library.py` turns listings into folders and
videos, so the local folder and the OCI bucket follow exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote


def quote_name(name: str) -> str:
    """Percent-encode an object name per path segment, keeping "/" (spaces, #, ?, +, unicode)."""
    return quote(name, safe="/")


class StorageError(Exception):
    """The backend could not answer; the message is one sentence for a person."""


class StorageTimeout(StorageError):
    """The backend did not answer in time (as opposed to answering with an error)."""


@dataclass(frozen=True)
class ObjectInfo:
    name: str  # full object name, "/"-separated, relative to the library root
    size: int | None = None
    modified: datetime | None = None


@dataclass(frozen=True)
class Listing:
    """One level below a prefix: files, and sub-prefixes (each ending in "/")."""

    objects: tuple[ObjectInfo, ...]
    prefixes: tuple[ObjectInfo, ...]


@dataclass(frozen=True)
class Grant:
    """A playback URL: for an object the URL itself, for a prefix the base to append names to."""

    url: str
    expires_at: float  # epoch seconds
    id: str  # safe to log (a PAR id, or a digest for local tokens); never the URL
    # What to cut off an object name before appending it to a prefix grant's URL: "" where
    # the URL carries whole object names (an OCI PAR), the prefix itself where the URL is
    # relative to it (local: the folder names stay out of the URL).
    relative_to: str = ""

    def url_for(self, name: str) -> str:
        """The URL of object `name` under this prefix grant."""
        if not name.startswith(self.relative_to):
            raise ValueError("the object is not under this grant's prefix")
        return self.url + quote_name(name[len(self.relative_to) :])


class Storage(Protocol):
    kind: str  # "local" or "oci"
    scope: str  # what a cache key needs to tell two libraries apart (root path, bucket)
    # Where browsers fetch playback URLs from when it is not the app itself (the Object
    # Storage endpoint's origin), for the pages' Content-Security-Policy; None: the app.
    media_origin: str | None

    def list_level(self, prefix: str) -> Listing: ...

    def read_small(self, name: str, limit: int) -> bytes | None:
        """The object's bytes if it exists and is at most `limit` bytes, else None."""

    def grant(self, target: str, *, prefix: bool, expires_at: float) -> Grant:
        """A URL that lets a browser read `target` (an object, or everything under a prefix)."""

    def ping(self) -> bool: ...

    def routes(self) -> list:
        """HTTP routes the backend needs in the app (the local folder's /video), or []."""

    def start_background(self, cache) -> None:
        """Start the backend's background jobs (OCI: the sweep of expired PARs)."""
