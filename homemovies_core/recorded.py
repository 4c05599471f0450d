"""When a video was recorded, read from the tags ffprobe reports (pure: no I/O).

In order of trust:
1. QuickTime's `com.apple.quicktime.creationdate` (iPhones, many cameras): local time
   *with* its UTC offset, "2023-07-14T16:02:11+0200", so the family sees the hour it was
   on the beach, not the hour in Greenwich. A value without an offset is not trusted here.
2. The container's `creation_time` (MP4/MOV `mvhd`, Matroska's DateUTC): UTC by the
   formats' own rules, so a value without an offset is read as UTC.
3. Failing both, the file's modified time (which, for a bucket, is the upload time).

Cameras write nonsense when their clock was never set: zeros, the Unix or QuickTime
epoch (1970-01-01, 1904-01-01), or dates years ahead. Those are no date at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "CONTAINER",
    "FILE_TIME",
    "QUICKTIME",
    "SOURCES",
    "Recorded",
    "describe",
    "from_tags",
    "parse_date",
    "recorded",
    "usable",
]

QUICKTIME = "quicktime"
CONTAINER = "container"
FILE_TIME = "file time"
SOURCES = (QUICKTIME, CONTAINER, FILE_TIME)

QUICKTIME_TAG = "com.apple.quicktime.creationdate"
CONTAINER_TAG = "creation_time"

# The clock zero of the two container families, give or take the widest UTC offsets: a
# camera that counts from zero in local time writes e.g. 1970-01-01T00:00+02:00.
_EPOCHS = (datetime(1904, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))
_NEAR_EPOCH = timedelta(days=1)
_FIRST_FILM = datetime(1888, 1, 1, tzinfo=UTC)  # a digitised reel may carry an old date
_SKEW = timedelta(days=1)  # a camera's clock a little ahead is still a date
# EXIF-style "2023:07:14 16:02:11", which some cameras put into video tags too.
_EXIF = re.compile(r"^(\d{4}):(\d{2}):(\d{2})([ T].*)$")
_MAX_LENGTH = 64  # no real date is longer; a longer value is not parsed at all


@dataclass(frozen=True)
class Recorded:
    """When a video was recorded, and where that came from.

    `when` is always aware: in the camera's own offset when the video said it, else UTC.
    `source` is one of SOURCES: "quicktime", "container" or "file time".
    """

    when: datetime
    source: str

    def __post_init__(self) -> None:
        if self.when.tzinfo is None or self.when.utcoffset() is None:
            raise ValueError("Recorded.when must carry a time zone")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source of a recorded date: {self.source!r}")


def parse_date(value: object, *, naive_is_utc: bool) -> datetime | None:
    """An ISO 8601 date and time as an aware datetime, or None for anything else.

    A value without an offset is UTC when `naive_is_utc`, else not a date. A date
    alone ("2023-07-14") has no time of day to place it, so it is not one either.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_LENGTH or len(text) < 16:  # "YYYY-MM-DDTHH:MM" at least
        return None
    if exif := _EXIF.match(text):
        text = "-".join(exif.groups()[:3]) + exif.group(4)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:  # garbage, "0000-00-00 00:00:00", 29 February of a common year
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if naive_is_utc else None
    return parsed


def usable(when: datetime, now: datetime) -> bool:
    """Whether a parsed date can be when a video was recorded (not an unset clock)."""
    if when < _FIRST_FILM or when > now + _SKEW:
        return False
    return all(abs(when - epoch) > _NEAR_EPOCH for epoch in _EPOCHS)


def from_tags(tags: Iterable[tuple[str, str]], now: datetime | None = None) -> Recorded | None:
    """The recorded date the tags tell, or None. `tags` are (name, value) pairs in order of
    trust: the container's (format) tags first, then its streams'. A value may hold several
    dates separated by ";" (ffmpeg reports both of an MP4's creation times that way)."""
    now = now or datetime.now(UTC)
    pairs = [(str(name).casefold(), str(value)) for name, value in tags]
    for tag, source, naive_is_utc in (
        (QUICKTIME_TAG, QUICKTIME, False),
        (CONTAINER_TAG, CONTAINER, True),
    ):
        for name, value in pairs:
            if name != tag:
                continue
            for part in value.split(";"):
                when = parse_date(part, naive_is_utc=naive_is_utc)
                if when is not None and usable(when, now):
                    return Recorded(when, source)
    return None


def recorded(
    tags: Iterable[tuple[str, str]], file_time: datetime | float, now: datetime | None = None
) -> Recorded:
    """The recorded date from the tags, failing that the file's modified time (a datetime,
    or epoch seconds as `os.stat` gives them)."""
    found = from_tags(tags, now)
    if found is not None:
        return found
    if isinstance(file_time, datetime):
        when = file_time if file_time.tzinfo else file_time.replace(tzinfo=UTC)
    else:
        when = datetime.fromtimestamp(file_time, UTC)
    return Recorded(when, FILE_TIME)


def describe(found: Recorded) -> str:
    """ "14 Jul 2023 16:02 (+02:00), from the QuickTime creation date" — for command output."""
    offset = found.when.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    shown = f"{found.when.day} {found.when.strftime('%b %Y %H:%M')} ({zone})"
    why = {
        QUICKTIME: "the QuickTime creation date",
        CONTAINER: "the container's creation time",
        FILE_TIME: "the file's modified time (the video has no recording date)",
    }[found.source]
    return f"{shown}, from {why}"
