"""Reading one video of the library with ffprobe and ffmpeg, wherever it is stored.

A file on disk is read where it lies. An object in a bucket is read through a short-lived
pre-authenticated request (an `ObjectRead` PAR for that one object, a few minutes long,
deleted as soon as the probe and poster are done): ffprobe then reads only the bytes it
needs with HTTP Range requests (the header, and the index at the end of a file that keeps
it there), never the whole video. The PAR's URL is a secret: no message carries it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import recorded
from ..encode import make_poster
from ..ffmpeg import FfmpegError, Probe, probe, probe_remote
from ..storage.base import Storage, StorageError
from .formats import VideoFacts

log = logging.getLogger(__name__)

PAR_SECONDS = 10 * 60  # long enough to probe and pick a poster frame; then it is deleted
PROBE_TIMEOUT = 120.0


@dataclass(frozen=True)
class Source:
    """Where ffprobe and ffmpeg read a video from: a path, or a secret URL."""

    location: str
    name: str  # the object name, shown instead of the location
    remote: bool


@contextmanager
def readable(storage: Storage, name: str) -> Iterator[Source]:
    """A place ffprobe can read object `name` from, for the length of the block."""
    if storage.kind == "local":
        path = storage.resolve(name)  # type: ignore[attr-defined]
        if path is None:
            raise StorageError(f"'{name}' is not inside the library.")
        yield Source(str(path), name, remote=False)
        return
    grant = storage.grant(name, prefix=False, expires_at=time.time() + PAR_SECONDS)
    try:
        yield Source(grant.url, name, remote=True)
    finally:
        try:
            storage.delete_grant(grant.id)  # type: ignore[attr-defined]
        except StorageError as exc:
            # It expires on its own within minutes; the id is safe to name, the URL is not.
            log.warning(
                "The temporary read link %s was not deleted (%s); it expires in a few minutes.",
                grant.id,
                exc,
            )


def probe_source(source: Source, ffmpeg: str) -> Probe:
    """ffprobe's report on the video; FfmpegError says why it is not one, naming the video
    by its object name (never its path or URL)."""
    try:
        if source.remote:
            return probe_remote(source.location, ffmpeg, name=source.name, timeout=PROBE_TIMEOUT)
        return probe(source.location, ffmpeg)
    except FfmpegError as exc:
        text = str(exc).replace(f"{source.location}: ", "").replace(f"{source.name}: ", "")
        raise FfmpegError(one_line(text.replace(source.location, source.name))) from None


def facts_of(found: Probe, file_time: datetime | None) -> VideoFacts:
    """What the index keeps of a probe: the recorded date (from the tags, else the file's
    modified time), the duration and the picture as shown."""
    when = (
        recorded.recorded(found.tags, file_time)
        if file_time is not None
        else recorded.from_tags(found.tags)
    )
    return VideoFacts.of(when, found.duration, found.display_width, found.display_height)


def poster_bytes(source: Source, duration: float, ffmpeg: str) -> bytes:
    """A representative, non-black JPEG frame (encode.make_poster's rule)."""
    with tempfile.TemporaryDirectory(prefix="homemovies-poster-") as work:
        out = Path(work) / "poster.jpg"
        shape = Probe(duration=duration, width=0, height=0, rotation=0, has_audio=False)
        try:
            # ffmpeg takes the URL as it is; make_poster only hands it on as text.
            make_poster(source.location, out, shape, ffmpeg)  # type: ignore[arg-type]
        except FfmpegError as exc:
            raise FfmpegError(one_line(str(exc).replace(source.location, source.name))) from None
        return out.read_bytes()


def one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]
