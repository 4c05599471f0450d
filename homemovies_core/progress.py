"""Where each user stopped in each video, for "resume" and "Continue watching".

The player posts `{token, position, duration}` to /api/progress on its own (every ~10 s
and on pause/end), so watching never reruns the Streamlit script. The token is signed
for one user and one video and lives a few hours: the route can only ever write the
progress of the person the watch page was drawn for, for that video.

Positions live in the Cache (Redis when configured: they survive restarts and follow the
user across devices) for half a year; a small per-user index, most recent first, feeds
the "Continue watching" row without scanning the Cache.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import signing
from .cache import Cache, get_json, get_json_text, set_json

KEEP_SECONDS = 180 * 24 * 3600
TOKEN_SECONDS = 8 * 3600  # a long film, paused for a while; the watch page renews it
RESUME_AFTER = 5.0  # seconds in: less than this is "just looked at it", start from 0
END_FRACTION = 0.05  # ... and within the last 5 % or the last 30 s, whichever is shorter,
END_SECONDS = 30.0  # counts as finished. (Shorter, so short home videos resume too.)
RECENT_KEPT = 30

_KEY = "progress:"
_RECENT = "progress-recent:"


@dataclass(frozen=True)
class Progress:
    video_key: str
    position: float  # seconds
    duration: float | None  # seconds, when the browser knew it
    updated: float  # epoch seconds

    @property
    def fraction(self) -> float | None:
        if not self.duration:
            return None
        return min(1.0, max(0.0, self.position / self.duration))

    @property
    def finished(self) -> bool:
        if not self.duration:
            return False
        return self.position >= self.duration - end_margin(self.duration)


def end_margin(duration: float) -> float:
    return min(END_SECONDS, END_FRACTION * duration)


def resume_position(progress: Progress | None) -> float:
    """Where to start: the saved position, or 0 if barely started or (nearly) finished."""
    if progress is None or progress.position <= RESUME_AFTER or progress.finished:
        return 0.0
    return progress.position


def _id(text: str) -> str:
    # Hashed: keys stay short whatever the object name, and a key dump lists no titles.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class ProgressStore:
    """With `generation_of` (users.Users.generation), a token also carries the user's
    credential generation and stops working when that person is removed or given a new
    password, like their sessions (sessions.py)."""

    def __init__(
        self,
        cache: Cache,
        token_key: bytes,
        *,
        clock: Callable[[], float] = time.time,
        generation_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.cache = cache
        self._token_key = token_key
        self._clock = clock
        self._generation_of = generation_of or (lambda _username: "")

    # -- tokens -------------------------------------------------------------------------
    def token(self, username: str, video_key: str) -> str:
        payload = {"u": username, "v": video_key, "g": self._generation_of(username) or ""}
        return signing.sign(self._token_key, payload, self._clock() + TOKEN_SECONDS)

    def verify(self, token: object) -> tuple[str, str] | None:
        """(username, video key) for a genuine, unexpired token of someone who may still log
        in with the same password; else None (any input)."""
        found = signing.verify_strings(self._token_key, token, "u", "v", "g", now=self._clock())
        if found is None or found[2] != self._generation_of(found[0]):
            return None
        return found[0], found[1]

    # -- positions ----------------------------------------------------------------------
    def _key(self, username: str, video_key: str) -> str:
        return f"{_KEY}{_id(username)}:{_id(video_key)}"

    def record(
        self, username: str, video_key: str, position: float, duration: float | None
    ) -> Progress:
        """Save a report from the player. Raises ValueError for numbers no player sends."""
        if not _finite(position) or position < 0:
            raise ValueError("position must be a number of seconds, 0 or more")
        if duration is not None and (not _finite(duration) or duration <= 0):
            duration = None  # live streams and not-yet-loaded metadata: position only
        if duration is not None:
            position = min(position, duration)
        progress = Progress(
            video_key,
            round(position, 2),
            None if duration is None else round(duration, 2),
            self._clock(),
        )
        set_json(
            self.cache,
            self._key(username, video_key),
            {"v": video_key, "p": progress.position, "d": progress.duration, "t": progress.updated},
            KEEP_SECONDS,
        )
        self._remember(username, video_key)
        return progress

    def get(self, username: str, video_key: str) -> Progress | None:
        return _decode(self.cache.get(self._key(username, video_key)))

    def many(self, username: str, video_keys: Iterable[str]) -> dict[str, Progress]:
        """The saved positions among `video_keys`, read in one round trip."""
        keys = list(video_keys)
        raws = self.cache.get_many([self._key(username, key) for key in keys])
        found = {key: _decode(raw) for key, raw in zip(keys, raws, strict=True)}
        return {key: progress for key, progress in found.items() if progress is not None}

    def clear(self, username: str, video_key: str) -> None:
        """ "Start over": forget the position (the player reports a new one soon)."""
        self.cache.delete(self._key(username, video_key))

    # -- continue watching ----------------------------------------------------------------
    def _remember(self, username: str, video_key: str) -> None:
        key = _RECENT + _id(username)
        recent = get_json(self.cache, key)
        recent = [k for k in recent if isinstance(k, str)] if isinstance(recent, list) else []
        if recent[:1] == [video_key]:
            return  # the usual case, a report every 10 s of the same video: no write
        recent = [video_key, *(k for k in recent if k != video_key)][:RECENT_KEPT]
        set_json(self.cache, key, recent, KEEP_SECONDS)

    def continue_watching(self, username: str, limit: int = 8) -> list[Progress]:
        """Videos to resume, most recently watched first (finished and barely started left out)."""
        recent = get_json(self.cache, _RECENT + _id(username))
        if not isinstance(recent, list):
            return []
        saved = self.many(username, [key for key in recent if isinstance(key, str)])
        ordered = (saved[k] for k in recent if isinstance(k, str) and k in saved)  # newest first
        return [p for p in ordered if resume_position(p) > 0][:limit]


def _decode(raw: str | None) -> Progress | None:
    """A saved position, or None for a missing or corrupt entry."""
    data = None if raw is None else get_json_text(raw)
    if not isinstance(data, dict):
        return None
    try:
        return Progress(
            str(data["v"]),
            float(data["p"]),
            float(data["d"]) if data.get("d") else None,
            float(data["t"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _finite(value: object) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # JSON allows integers of any size; 10**400 is no float
        return False
