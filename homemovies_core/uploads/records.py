"""Each person's uploads, kept server-side in the Cache for 24 hours.

A record says what is being uploaded (the file's name, size and last-modified time, the
folder it goes to), how far it got, and whether it was handed to the job queue. Every
replica reads the same records, so any replica answers any upload request, and a page that
was left and reopened (or another device) shows the same list.

Records are keyed by a digest of their owner and the upload id: asking for another person's
upload finds nothing, the same answer as an id that never existed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..cache import Cache, get_json_text

LIFETIME_SECONDS = 24 * 3600  # an upload may be resumed for this long, then it is swept
MAX_OPEN_PER_PERSON = 50  # unfinished uploads one person may have at once
MAX_LISTED = 100  # records one listing returns (newest first)

State = Literal["uploading", "submitted", "failed", "cancelled"]
_KEY = "upload:"


@dataclass(frozen=True)
class UploadRecord:
    id: str
    owner: str
    name: str  # the safe display name (title + extension)
    title: str  # the movie's name to be
    extension: str
    size: int
    modified: int  # the file's last-modified time, ms since the epoch, as the browser said
    match: str  # digest of the raw (name, size, modified): a file chosen again finds this
    folder: str  # folder key: "Holidays/" or "" (Unsorted)
    kind: Literal["tus", "oci"]
    source: str  # OCI: the object under ".uploads/"; local: a path under the uploads dir
    state: State = "uploading"
    received: int = 0  # bytes the storage has (local: on disk; OCI: parts the browser sent)
    message: str = ""  # for "failed": the one sentence
    par_id: str = ""  # OCI: the write PAR's id (safe to log; the URL is never kept)
    created: float = 0.0
    updated: float = 0.0

    @property
    def open(self) -> bool:
        """Still taking bytes: not yet handed to the queue, failed or cancelled."""
        return self.state == "uploading"

    @property
    def expires(self) -> float:
        return self.created + LIFETIME_SECONDS


def match_digest(raw_name: str, size: int, modified: int) -> str:
    """What identifies one file on one device: its name, size and last-modified time."""
    return hashlib.sha256(f"{raw_name}\0{size}\0{modified}".encode()).hexdigest()


def new_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]: safe in paths and URLs


def _owner_digest(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


def _key(owner: str, upload_id: str) -> str:
    return f"{_KEY}{_owner_digest(owner)}:{upload_id}"


def _parse(raw: str | None) -> UploadRecord | None:
    data = None if raw is None else get_json_text(raw)
    if not isinstance(data, dict):
        return None
    names = {f.name for f in dataclasses.fields(UploadRecord)}
    try:
        return UploadRecord(**{k: v for k, v in data.items() if k in names})
    except TypeError:  # a corrupt or foreign entry is no upload
        return None


class UploadStore:
    """Upload records in the Cache. Writes go to the shared cache only (redis_cache.SharedOnly):
    while Redis is down an upload waits rather than diverging between replicas."""

    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self.cache, self._clock = cache, clock

    def save(self, record: UploadRecord) -> UploadRecord:
        fresh = dataclasses.replace(record, updated=self._clock())
        left = fresh.expires - self._clock()
        if left > 0:
            self.cache.set(
                _key(fresh.owner, fresh.id),
                json.dumps(dataclasses.asdict(fresh), separators=(",", ":")),
                left,
            )
        return fresh

    def get(self, owner: str, upload_id: str) -> UploadRecord | None:
        """`owner`'s upload `upload_id`; None for anyone else's, unknown or expired ones."""
        if not isinstance(upload_id, str) or not 0 < len(upload_id) <= 64:
            return None
        record = _parse(self.cache.get(_key(owner, upload_id)))
        if record is None or record.owner != owner or record.id != upload_id:
            return None
        return record

    def all_of(self, owner: str) -> list[UploadRecord]:
        """`owner`'s uploads of the last 24 hours, newest first."""
        keys = list(self.cache.scan(f"{_KEY}{_owner_digest(owner)}:"))
        found = [_parse(raw) for raw in self.cache.get_many(keys)] if keys else []
        mine = [r for r in found if r is not None and r.owner == owner]
        return sorted(mine, key=lambda r: r.created, reverse=True)

    def everyone(self) -> list[UploadRecord]:
        """Every live record (the sweep: which partial files and PARs are still wanted)."""
        keys = list(self.cache.scan(_KEY))
        return [r for r in (_parse(raw) for raw in self.cache.get_many(keys)) if r] if keys else []

    def delete(self, record: UploadRecord) -> None:
        self.cache.delete(_key(record.owner, record.id))

    def lock(self, upload_id: str, seconds: float) -> str | None:
        """Hold `upload_id` for one writer across replicas; the token to release it, or None
        if someone holds it."""
        token = secrets.token_hex(8)
        return token if self.cache.add(f"upload-lock:{upload_id}", token, seconds) else None

    def unlock(self, upload_id: str, token: str) -> None:
        if self.cache.get(f"upload-lock:{upload_id}") == token:
            self.cache.delete(f"upload-lock:{upload_id}")
