"""The two small JSON files that hold what a listing cannot tell about a video.

`.homemovies.json`, one per folder (hidden: listings skip dot files), written by `index`:

    {"format": "homemovies-index", "version": 1,
     "videos": {
       "Beach day.mp4": {"size": 31457280, "modified": "2024-03-01T09:12:00.123456+00:00",
                         "recorded": "2023-07-14T16:02:11+02:00", "recorded_source": "quicktime",
                         "duration": 12.48, "width": 1920, "height": 1080},
       "Broken.mp4":    {"size": 10, "modified": "…", "error": "it has no video stream"},
       "Party.hls/":    {"recorded": "…", "recorded_source": "container", "duration": 95.2,
                         "width": 1280, "height": 720}}}

Keys are names relative to the folder (`.hls/` movies end in "/"). `size` and `modified`
are the file's as listed when it was probed: an entry whose file has changed since is not
believed. `width` × `height` is the picture as shown (a phone's portrait video is taller
than wide). `recorded_source` is "quicktime", "container" or "file time" (recorded.py).

`info.json`, inside each `.hls/` movie, written by ingest:

    {"format": "homemovies-movie", "version": 1,
     "recorded": "2023-07-14T16:02:11+02:00", "recorded_source": "quicktime",
     "duration": 12.48, "width": 1920, "height": 1080,
     "renditions": [{"width": 1280, "height": 720, "video_kbps": 2800, "audio_kbps": 128}],
     "original": "original.mp4", "sha256": "9f86d0…"}

`original` names the file the movie was made from, kept inside its `.hls/` folder (movies
added from a browser keep theirs); `sha256` is that file's digest, which the folder's index
repeats, so the same video uploaded again is found without reading any video.

Reading is lenient and bounded: a file that is too big or not this shape is absent
(`FormatError`); a single odd field is dropped, never the whole file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import safe_json
from ..recorded import SOURCES, Recorded

if TYPE_CHECKING:  # only the one small read in `read_index`; no backend is imported here
    from ..storage.base import Storage

INDEX_NAME = ".homemovies.json"
INFO_NAME = "info.json"
INDEX_FORMAT = "homemovies-index"
INFO_FORMAT = "homemovies-movie"
VERSION = 1
# A folder of 10,000 videos indexes to about 2.5 MB; anything far bigger is not ours.
INDEX_LIMIT = 8 * 1024 * 1024
INFO_LIMIT = 64 * 1024
_MAX_NAME = 1024  # bytes of UTF-8 in an OCI object name
_MAX_SIDE = 100_000
_MAX_DURATION = 31 * 24 * 3600.0  # a month of video in one file is not a home movie
_MAX_ERROR = 300
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The kept original inside a movie: "original" and the extension the upload had.
ORIGINAL_NAME = re.compile(r"^original(\.[a-z0-9]{1,10})?$")


class FormatError(Exception):
    """Not an index or info file we can read; the message says why, in a few words."""


@dataclass(frozen=True)
class VideoFacts:
    """What a probe tells about a video; any of it may be unknown (None)."""

    recorded: datetime | None = None  # aware; in the camera's own offset when it said so
    recorded_source: str | None = None  # "quicktime" | "container" | "file time"
    duration: float | None = None  # seconds
    width: int | None = None  # as shown
    height: int | None = None

    @classmethod
    def of(
        cls, found: Recorded | None, duration: float | None, width: int | None, height: int | None
    ) -> VideoFacts:
        return cls(
            found.when if found else None,
            found.source if found else None,
            duration if duration and duration > 0 else None,
            width or None,
            height or None,
        )


@dataclass(frozen=True)
class IndexEntry:
    """One video of a folder's index. `facts` is None when the file could not be probed
    (`error` says why), so an unreadable file is not probed again until it changes.
    `sha256`: the digest of a movie's original (from its info.json), when it kept one."""

    facts: VideoFacts | None
    size: int | None = None
    modified: datetime | None = None
    error: str | None = None
    sha256: str | None = None

    def matches(self, size: int | None, modified: datetime | None) -> bool:
        """Whether this entry was made from the file as it is listed now."""
        return self.size == size and self.modified == modified


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    video_kbps: int
    audio_kbps: int


@dataclass(frozen=True)
class MovieInfo:
    """An ingested movie's `info.json`."""

    facts: VideoFacts
    renditions: tuple[Rendition, ...] = ()
    original: str | None = None  # "original.mp4": the source, kept inside the movie
    sha256: str | None = None  # the original's SHA-256, hex


# -- writing -----------------------------------------------------------------------------
def _facts_json(facts: VideoFacts) -> dict:
    out: dict = {}
    if facts.recorded is not None and facts.recorded_source is not None:
        out["recorded"] = facts.recorded.isoformat()
        out["recorded_source"] = facts.recorded_source
    if facts.duration is not None:
        out["duration"] = round(facts.duration, 3)
    if facts.width and facts.height:
        out["width"], out["height"] = facts.width, facts.height
    return out


def entry_json(entry: IndexEntry) -> dict:
    out: dict = {}
    if entry.size is not None:
        out["size"] = entry.size
    if entry.modified is not None:
        out["modified"] = entry.modified.isoformat()
    if entry.facts is not None:
        out.update(_facts_json(entry.facts))
    if entry.error:
        out["error"] = entry.error[:_MAX_ERROR]
    if entry.sha256:
        out["sha256"] = entry.sha256
    return out


def encode_index(entries: Mapping[str, IndexEntry]) -> bytes:
    """The `.homemovies.json` bytes: keys sorted, one entry a line, so a diff reads well."""
    videos = {name: entry_json(entries[name]) for name in sorted(entries)}
    lines = ",\n".join(
        f"  {json.dumps(name)}: {json.dumps(body, sort_keys=True)}" for name, body in videos.items()
    )
    head = f'{{"format": "{INDEX_FORMAT}", "version": {VERSION},\n "videos": {{\n'
    return (head + lines + ("\n" if lines else "") + " }}\n").encode()


def encode_info(info: MovieInfo) -> bytes:
    body = {
        "format": INFO_FORMAT,
        "version": VERSION,
        **_facts_json(info.facts),
        "renditions": [
            {
                "width": r.width,
                "height": r.height,
                "video_kbps": r.video_kbps,
                "audio_kbps": r.audio_kbps,
            }
            for r in info.renditions
        ],
    }
    if info.original:
        body["original"] = info.original
    if info.sha256:
        body["sha256"] = info.sha256
    return (json.dumps(body, indent=1) + "\n").encode()


# -- reading -----------------------------------------------------------------------------
def decode_index(data: bytes) -> dict[str, IndexEntry]:
    """The entries of a `.homemovies.json`; FormatError if it is not one."""
    body = _load(data, INDEX_LIMIT, INDEX_FORMAT)
    videos = body.get("videos")
    if not isinstance(videos, dict):
        raise FormatError('it has no "videos" object')
    return entries_from(videos)


@dataclass(frozen=True)
class Stored:
    """A folder's index as read: its entries, and the exact bytes (None: there was none)."""

    entries: dict[str, IndexEntry]
    raw: bytes | None
    problem: str | None = None  # why an existing index could not be read


def read_index(storage: Storage, folder: str) -> Stored:
    """`folder`'s index (`index` rewrites it, the catalog shows it). A missing or broken index
    has no entries; a failed read raises the storage's StorageError."""
    raw = storage.read_small(folder + INDEX_NAME, INDEX_LIMIT)
    if raw is None:
        return Stored({}, None)
    try:
        return Stored(decode_index(raw), raw)
    except FormatError as exc:
        return Stored({}, raw, str(exc))


def entries_from(videos: Mapping) -> dict[str, IndexEntry]:
    """Entries from a `"videos"` object; names or entries that are not valid are skipped."""
    entries = {}
    for name, raw in videos.items():
        if _valid_name(name) and isinstance(raw, dict):
            entries[name] = _entry(raw)
    return entries


def decode_info(data: bytes) -> MovieInfo:
    body = _load(data, INFO_LIMIT, INFO_FORMAT)
    renditions = []
    for raw in body.get("renditions") or ():
        if not isinstance(raw, dict):
            continue
        values = [
            _int(raw.get(k), 1, _MAX_SIDE if k in ("width", "height") else 1_000_000)
            for k in ("width", "height", "video_kbps", "audio_kbps")
        ]
        if all(v is not None for v in values[:2]):
            renditions.append(Rendition(values[0], values[1], values[2] or 0, values[3] or 0))
    original = body.get("original")
    if not (isinstance(original, str) and ORIGINAL_NAME.match(original)):
        original = None
    return MovieInfo(_facts(body), tuple(renditions), original, _sha256(body.get("sha256")))


def _load(data: bytes, limit: int, kind: str) -> dict:
    if len(data) > limit:
        raise FormatError(f"it is larger than {limit // 1024} KB")
    try:
        body = safe_json.loads(data)
    except ValueError:  # not UTF-8, not JSON, or nested absurdly deep
        raise FormatError("it is not JSON") from None
    if not isinstance(body, dict):
        raise FormatError("it is not a JSON object")
    if body.get("format") not in (None, kind):
        raise FormatError(f"its format is {str(body.get('format'))[:40]!r}, not {kind!r}")
    return body


def _entry(raw: dict) -> IndexEntry:
    error = raw.get("error")
    facts = _facts(raw)
    return IndexEntry(
        facts=None if isinstance(error, str) and facts == VideoFacts() else facts,
        size=_int(raw.get("size"), 0, 2**63),
        modified=_aware(raw.get("modified")),
        error=error[:_MAX_ERROR] if isinstance(error, str) else None,
        sha256=_sha256(raw.get("sha256")),
    )


def _sha256(value: object) -> str | None:
    return value if isinstance(value, str) and _SHA256.match(value) else None


def _facts(raw: dict) -> VideoFacts:
    recorded = _aware(raw.get("recorded"))
    source = raw.get("recorded_source")
    if recorded is None or source not in SOURCES:
        recorded, source = None, None
    duration = raw.get("duration")
    valid_duration = (
        isinstance(duration, int | float)
        and not isinstance(duration, bool)
        and math.isfinite(duration)
        and 0 < duration <= _MAX_DURATION
    )
    width, height = _int(raw.get("width"), 1, _MAX_SIDE), _int(raw.get("height"), 1, _MAX_SIDE)
    if width is None or height is None:
        width = height = None
    return VideoFacts(recorded, source, float(duration) if valid_duration else None, width, height)


def _aware(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _int(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def _valid_name(name: object) -> bool:
    """A name directly in the folder: a file, or an `.hls/` movie (one trailing "/")."""
    if not isinstance(name, str) or not name or name.startswith("."):
        return False
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME or "\x00" in name:
        return False
    return "/" not in name.removesuffix("/")
