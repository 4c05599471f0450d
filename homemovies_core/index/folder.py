"""Indexing one folder: probe each plain video that is new or has changed since the folder's
`.homemovies.json` was written, keep the rest, copy each `.hls/` movie's facts from its
`info.json`, give every plain video without a poster one, and write the index in one step
when anything changed.

A movie still being added (its marker beside it, library.py) is not listed, keeps the
entry it had, and is reported: one that has been at it for over a day was left by an upload
that stopped, and only a person can say whether to finish it or drop it.

Re-running is cheap: an unchanged file (same size and modified time as indexed) is not
probed again, and neither is one ffprobe could not read (its entry says why) until it
changes. Entries of files that are gone are dropped.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import m3u8

from .. import library
from ..ffmpeg import FfmpegError
from ..library import HLS_PLAYLIST, Kind, Video
from ..storage.base import ObjectInfo, Storage, StorageError
from .formats import (
    INDEX_NAME,
    INFO_LIMIT,
    INFO_NAME,
    FormatError,
    IndexEntry,
    VideoFacts,
    decode_info,
    encode_index,
    read_index,
)
from .probing import facts_of, one_line, poster_bytes, probe_source, readable

log = logging.getLogger(__name__)

PLAYLIST_LIMIT = 1024 * 1024
# A movie still marked as being added after this long was left by an upload that stopped
# (a worker's job finishes or gives up sooner; an ingest run that was stopped never returns).
STOPPED_AFTER_SECONDS = 24 * 3600
DEFAULT_WORKERS = 4  # probes wait on ffprobe and, for a bucket, on HTTP: a few at a time

Advance = Callable[[float], None]
Bar = Callable[[str, float, str], AbstractContextManager[Advance]]


@dataclass
class FolderReport:
    folder: str
    videos: int = 0
    probed: int = 0
    unchanged: int = 0
    unreadable: list[str] = field(default_factory=list)  # "name: why"
    posters: int = 0
    movies: int = 0  # .hls/ movies whose facts were found
    unfinished: list[str] = field(default_factory=list)  # one sentence per movie being added
    written: bool = False

    def summary(self) -> str:
        title = library.folder_title(self.folder)
        parts = [f"{self.probed} probed", f"{self.unchanged} unchanged"]
        if self.movies:
            parts.append(f"{self.movies} HLS movie(s) from their info")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} unreadable")
        if self.posters:
            parts.append(f"{self.posters} poster(s) made")
        state = "index written" if self.written else "index already up to date"
        return f"'{title}': {self.videos} video(s) — {', '.join(parts)}; {state}."


def write_index(storage: Storage, folder: str, entries: dict[str, IndexEntry]) -> None:
    storage.write_small(
        folder + INDEX_NAME,
        encode_index(entries),  # type: ignore[attr-defined]
        content_type="application/json",
        replace=True,
    )


def index_folder(
    storage: Storage,
    folder: str,
    *,
    ffmpeg: str,
    bar: Bar,
    say: Callable[[str], None],
    posters: bool = True,
    workers: int = DEFAULT_WORKERS,
    now: float | None = None,
) -> FolderReport:
    """Bring `folder`'s index up to date (see the module's docstring)."""
    now = time.time() if now is None else now
    report = FolderReport(folder)
    listing = storage.list_level(folder)
    videos = library.videos_in(folder, listing)
    report.videos = len(videos)
    unfinished = library.unfinished_movies(listing)
    report.unfinished = [unfinished_line(key, marker, now) for key, marker in unfinished.items()]
    stored = read_index(storage, folder)
    if stored.problem:
        say(
            f"The index of '{library.folder_title(folder)}' could not be read "
            f"({stored.problem}); it is made again."
        )
    entries, work = _plan(storage, folder, videos, stored.entries, report, posters)
    for key in unfinished:  # its publisher has written (or will write) its entry: keep it
        if (name := key[len(folder) :]) in stored.entries:
            entries[name] = stored.entries[name]
    if work:
        _probe_all(storage, folder, work, entries, report, ffmpeg=ffmpeg, bar=bar, say=say,
                   posters=posters, workers=workers)  # fmt: skip
    if encode_index(entries) != stored.raw:
        write_index(storage, folder, entries)
        report.written = True
    return report


def unfinished_line(key: str, marker: ObjectInfo, now: float) -> str:
    """What `index` says of a movie still being added (its marker's time: since when)."""
    title = library.display_name(key)
    since = marker.modified.timestamp() if marker.modified else now
    if now - since < STOPPED_AFTER_SECONDS:
        return f"'{title}' is being added; it is listed once its upload ends."
    day = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d")
    return (
        f"'{title}' is not listed: adding it stopped on {day}. Running the same ingest again "
        f"finishes it; deleting '{marker.name}' lists it as it is; deleting that and "
        f"everything under '{key}' drops it."
    )


Work = list[tuple[Video, "IndexEntry | None"]]  # a video, and its entry when only a poster is due


def _plan(storage: Storage, folder: str, videos: list[Video], stored: dict[str, IndexEntry],
          report: FolderReport, posters: bool) -> tuple[dict[str, IndexEntry], Work]:  # fmt: skip
    """What is kept as it is (unchanged files, movies' info.json) and what must be probed."""
    entries: dict[str, IndexEntry] = {}
    work: Work = []
    for video in videos:
        name = video.key[len(folder) :]
        old = stored.get(name)
        if video.kind is Kind.HLS:
            entry = movie_entry(storage, video.key)
            if entry is not None:
                entries[name] = entry
                report.movies += 1
            elif old is not None:
                entries[name] = old
        elif old is not None and old.matches(video.size, video.modified):
            entries[name] = old
            report.unchanged += 1
            if posters and video.poster is None and old.facts is not None:
                work.append((video, old))  # only the poster is missing
        else:
            work.append((video, None))
    return entries, work


def _probe_all(storage: Storage, folder: str, work: Work, entries: dict[str, IndexEntry],
               report: FolderReport, *, ffmpeg: str, bar: Bar, say: Callable[[str], None],
               posters: bool, workers: int) -> None:  # fmt: skip
    """Probe (and make posters for) `work` in parallel, filling in `entries` and `report`."""

    def one(item: tuple[Video, IndexEntry | None]) -> tuple[IndexEntry | None, bool, str]:
        return _probe_one(storage, item[0], item[1], ffmpeg, posters)

    to_probe = sum(1 for _video, known in work if known is None)
    label = f"Indexing '{library.folder_title(folder)}' ({to_probe} to probe)"
    with (
        bar(label, len(work), "video") as advance,
        ThreadPoolExecutor(max(1, workers), thread_name_prefix="index") as pool,
    ):
        for (video, known), (entry, poster_made, problem) in zip(
            work, pool.map(one, work), strict=True
        ):
            advance(1)
            if problem:
                say(f"'{video.key}': {problem}")
            report.posters += poster_made
            if entry is None or known is not None:
                continue  # not reached (tried again next run), or only a poster was due
            entries[video.key[len(folder) :]] = entry
            if entry.facts is None:
                report.unreadable.append(f"{video.key[len(folder) :]}: {entry.error}")
            else:
                report.probed += 1


def _probe_one(
    storage: Storage, video: Video, known: IndexEntry | None, ffmpeg: str, posters: bool
) -> tuple[IndexEntry | None, bool, str]:
    """(its entry, whether a poster was written, a problem to tell or ""). The entry is
    `known` when only a poster was missing, None when the video could not be reached."""
    entry = known
    try:
        with readable(storage, video.key) as source:
            if entry is None:
                try:
                    found = probe_source(source, ffmpeg)
                except FfmpegError as exc:
                    reason = one_line(str(exc).split("is not a video ffmpeg can read: ")[-1])
                    return IndexEntry(None, video.size, video.modified, reason), False, ""
                entry = IndexEntry(facts_of(found, video.modified), video.size, video.modified)
            if not (posters and video.poster is None and entry.facts is not None):
                return entry, False, ""
            return (entry, *_poster(storage, video, source, entry.facts, ffmpeg))
    except StorageError as exc:
        return entry, False, f"{exc} It is tried again on the next run."


def _poster(
    storage: Storage, video: Video, source, facts: VideoFacts, ffmpeg: str
) -> tuple[bool, str]:
    """Write `Name.jpg` beside the video, unless one appeared meanwhile (never replaced)."""
    # The library's own stem rule (`Video.extension`), so the poster is found beside it. A
    # plain video always has an extension: it is classified by one.
    name = video.key[: -len(video.extension)] + ".jpg"
    try:
        data = poster_bytes(source, facts.duration or 0.0, ffmpeg)
    except FfmpegError as exc:
        return False, f"no poster could be made ({one_line(str(exc), 200)})"
    written = storage.write_small(
        name,
        data,
        content_type="image/jpeg",  # type: ignore[attr-defined]
        replace=False,
    )
    return bool(written), ""


# -- .hls/ movies -------------------------------------------------------------------------
def movie_entry(storage: Storage, key: str) -> IndexEntry | None:
    """An ingested movie's entry from its info.json (its facts, its original's digest); for
    a movie made before ingest wrote one, the duration and picture size from its playlists
    (two small reads)."""
    data = storage.read_small(key + INFO_NAME, INFO_LIMIT)
    if data is not None:
        try:
            info = decode_info(data)
            return IndexEntry(info.facts, sha256=info.sha256)
        except FormatError:
            pass  # fall back to what the playlists tell
    facts = playlist_facts(storage, key)
    return None if facts is None else IndexEntry(facts)


def playlist_facts(storage: Storage, key: str) -> VideoFacts | None:
    text = _small_text(storage, key + HLS_PLAYLIST)
    if text is None:
        return None
    try:
        master = m3u8.loads(text)
        width = height = None
        media = master
        if master.is_variant:
            best = max(master.playlists, key=lambda p: p.stream_info.bandwidth or 0)
            if best.stream_info.resolution:
                width, height = best.stream_info.resolution
            uri = best.uri or ""
            if "://" in uri or uri.startswith("/") or ".." in uri.split("/"):
                return None  # not a playlist of this movie's own folder
            inner = _small_text(storage, key + uri)
            if inner is None:
                return None
            media = m3u8.loads(inner)
        duration = sum(s.duration or 0 for s in media.segments)
    except Exception:  # m3u8 raises many types on a playlist it cannot read
        return None
    if not math.isfinite(duration) or duration <= 0:
        duration = None
    return VideoFacts(None, None, duration, width, height) if duration or width else None


def _small_text(storage: Storage, name: str) -> str | None:
    data = storage.read_small(name, PLAYLIST_LIMIT)
    if data is None:
        return None
    return data.decode("utf-8", "replace")


def record_movie(
    storage: Storage, folder: str, name: str, facts: VideoFacts, sha256: str | None = None
) -> None:
    """Put one movie's facts into its folder's index (ingest, right after publishing it), so
    the app shows its recorded date before `index` is next run."""
    stored = read_index(storage, folder)
    entry = IndexEntry(facts, sha256=sha256)
    if stored.problem is None and stored.entries.get(name) == entry:
        return  # re-published unchanged: nothing to write
    write_index(storage, folder, {**stored.entries, name: entry})
