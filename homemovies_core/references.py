"""What a movie's playlists and seek-preview index may point at: relative URLs inside its folder.

A browser follows every URI in an HLS playlist (variant playlists, segments, keys, init
segments, renditions) and every sprite URL in a `thumbnails.vtt`. A planted file naming
`https://elsewhere/…` made every viewer's browser fetch an outside host: a tracking pixel at
least, someone else's video under a family title at worst. So before a movie goes to the
player, the app reads its master playlist, each playlist that names, and its thumbnails index
(small reads, the verdict cached for CHECK_SECONDS), and:

- a playlist naming anything but a relative URL inside the movie's folder: the movie is not
  played (one sentence on the page);
- a thumbnails index doing so: the movie plays without seek previews.

Playlists are parsed with the `m3u8` library; on top of the URIs it knows, any quoted
attribute that looks like a URL (a scheme, or `//`) is refused, so a tag it does not know
(an interstitial's X-ASSET-URI) cannot carry one past it. The page's Content-Security-Policy
(web/headers.py) is the second lock: a file changed after the check still cannot make the
browser load media from anywhere but the app and the storage.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
from urllib.parse import unquote, urlsplit

import m3u8

from .cache import Cache
from .library import Kind, Video
from .storage.base import Storage

log = logging.getLogger(__name__)

CHECK_SECONDS = 600  # how long a verdict is kept; the page CSP covers a file changed since
MAX_PLAYLIST_BYTES = 4 * 1024 * 1024  # a 4-hour movie's media playlist is ~300 KB
MAX_THUMBNAILS_BYTES = 2_000_000  # what the player itself reads at most (player.js)
MAX_PLAYLISTS = 16  # a master playlist naming more is not one of ours
OUTSIDE = "Its playlist points outside its folder, so it is not played."
_QUOTED = re.compile(r'="([^"]*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters, and "\\" (a "/" to browsers)


def inside(uri: str, at: str) -> bool:
    """Whether `uri`, found in the file at `at` (a path inside the movie's folder, "/"
    separated), is a relative URL that stays inside that folder. Percent-encoded dots and
    backslashes count as what a browser makes of them: refused."""
    if not uri or uri != uri.strip() or _UNSAFE.search(uri) or _SCHEME.match(uri):
        return False  # empty, padded, control characters, or a scheme of its own
    if uri.startswith(("/", "?")):  # the app's (or storage's) root, or the file itself
        return False
    parts = urlsplit(uri)
    path = unquote(parts.path)
    if parts.netloc or not path or _UNSAFE.search(path) or path.startswith("/"):
        return False
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(at), path))
    return resolved != ".." and not resolved.startswith("../")


def playlist_uris(text: str) -> list[str]:
    """Every URI the `m3u8` library finds in a playlist (a ValueError if it cannot parse it)."""
    try:
        playlist = m3u8.loads(text)
    except Exception as exc:  # the parser raises what it likes on junk
        raise ValueError("not a playlist") from exc
    found = [playlist.preload_hint, playlist.content_steering]
    for segment in playlist.segments:
        found += [segment, segment.key, segment.init_section, *segment.parts]
    for group in (
        playlist.keys, playlist.session_keys, playlist.playlists, playlist.iframe_playlists,
        playlist.image_playlists, playlist.media, playlist.rendition_reports,
        playlist.session_data,
    ):  # fmt: skip
        found += list(group)
    return [item.uri for item in found if item is not None and getattr(item, "uri", None)]


def playlist_outside(text: str, at: str) -> str | None:
    """The first URI of the playlist at `at` that leaves the folder, or None."""
    try:
        uris = playlist_uris(text)
    except ValueError:
        return "(not a playlist)"
    tags = (line for line in text.splitlines() if line.startswith("#"))
    quoted = [value for line in tags for value in _QUOTED.findall(line)]
    looks_like_url = [v for v in quoted if _SCHEME.match(v) or v.startswith("//")]
    return next((u for u in [*looks_like_url, *uris] if not inside(u, at)), None)


def thumbnails_outside(text: str) -> str | None:
    """The first sprite URL of a WebVTT thumbnails index that leaves the folder, or None. Each
    cue's payload line is what the player loads (before any `#xywh=`)."""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        for payload in lines[timing + 1 :] if timing is not None else ():
            if not inside(payload.split("#", 1)[0], "thumbnails.vtt"):
                return payload
    return None


class ReferenceCheck:
    """The verdicts above for a movie in `storage`, kept in the Cache for CHECK_SECONDS."""

    def __init__(self, storage: Storage, cache: Cache) -> None:
        self.storage, self.cache = storage, cache

    def _key(self, what: str, name: str) -> str:
        digest = hashlib.sha256(f"{self.storage.scope}\0{name}".encode()).hexdigest()[:32]
        return f"refs:{what}:{digest}"

    def playlist_problem(self, video: Video) -> str | None:
        """None if the movie may be played; else the sentence to show. Not HLS: nothing to check."""
        if video.kind is not Kind.HLS:
            return None
        key = self._key("hls", video.key)
        cached = self.cache.get(key)
        if cached is None:
            bad = self._playlists_outside(video)
            if bad is not None:
                log.warning("A playlist of an HLS movie points outside its folder; not played.")
            cached = "bad" if bad is not None else "ok"
            self.cache.set(key, cached, CHECK_SECONDS)
        return OUTSIDE if cached == "bad" else None

    def _playlists_outside(self, video: Video) -> str | None:
        queue, seen = [video.playlist[len(video.key) :]], set()
        while queue and len(seen) < MAX_PLAYLISTS:
            at = queue.pop(0)
            seen.add(at)
            data = self.storage.read_small(video.key + at, MAX_PLAYLIST_BYTES)
            if data is None:  # missing or too big: nothing that was not checked is played
                return at
            text = data.decode("utf-8", "replace")
            bad = playlist_outside(text, at)
            if bad is not None:
                return bad
            for uri in playlist_uris(text):
                path = unquote(urlsplit(uri).path)
                name = posixpath.normpath(posixpath.join(posixpath.dirname(at), path))
                if name.lower().endswith(".m3u8") and name not in seen and name not in queue:
                    queue.append(name)
        return queue[0] if queue else None  # more playlists than any movie of ours has

    def thumbnails_ok(self, video: Video, name: str) -> bool:
        """Whether the seek-preview index `name` of `video` may be given to the player."""
        key = self._key("vtt", name)
        cached = self.cache.get(key)
        if cached is None:
            data = self.storage.read_small(name, MAX_THUMBNAILS_BYTES)
            text = None if data is None else data.decode("utf-8", "replace")
            bad = text is None or thumbnails_outside(text) is not None
            if bad:
                log.warning("A seek-preview index points outside its movie's folder; not used.")
            cached = "bad" if bad else "ok"
            self.cache.set(key, cached, CHECK_SECONDS)
        return cached == "ok"
