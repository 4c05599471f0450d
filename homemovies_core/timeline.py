"""Home movies by when they were filmed: sorting, year groups, the timeline, "On this day".

Pure functions over `Video`s. A video's date is when it was recorded (from its metadata,
through the folder's index or the movie's info.json) and only failing that the file's
modified time: DESIGN's "dates are when it was filmed".

"On this day" compares calendar days: a video filmed at 23:30 on 14 July in Lisbon was
filmed on 14 July, wherever it is watched, so a recorded time that carries the camera's own
offset (QuickTime's creation date) is read in that offset; a time known only in UTC (a
container's creation_time, a file time) is read in the viewer's time zone. A video filmed
on 29 February shows on 28 February in other years, so leap-day memories come every year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import Enum

from .library import Video, natural_key

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Order(Enum):
    NEWEST = "newest"
    OLDEST = "oldest"
    NAME = "name"

    @classmethod
    def parse(cls, text: str | None) -> Order:
        return next((o for o in cls if o.value == text), cls.NEWEST)


def when(video: Video) -> datetime | None:
    """When the video was filmed, as far as anyone knows (aware, or None)."""
    moment = video.recorded or video.modified
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


OWN_ZONE_SOURCES = ("quicktime",)  # recorded times that carry the camera's own offset


def day_of(video: Video, viewer_zone: tzinfo | None) -> date | None:
    """The calendar day the video was filmed: in the camera's own offset when its recorded
    time carries one (QuickTime), else in the viewer's time zone."""
    moment = when(video)
    if moment is None:
        return None
    if video.recorded is not None and video.recorded_source in OWN_ZONE_SOURCES:
        return moment.date()
    return moment.astimezone(viewer_zone or UTC).date()


def ordered(videos: Iterable[Video], order: Order = Order.NEWEST) -> list[Video]:
    """Videos newest-filmed first (or oldest first, or by name); undated ones last."""
    videos = list(videos)
    if order is Order.NAME:
        return sorted(videos, key=lambda v: (natural_key(v.title), v.key))
    dated = [v for v in videos if when(v) is not None]
    undated = sorted(
        (v for v in videos if when(v) is None), key=lambda v: (natural_key(v.title), v.key)
    )
    dated.sort(key=lambda v: (when(v), natural_key(v.title)), reverse=order is Order.NEWEST)
    return dated + undated


@dataclass(frozen=True)
class Group:
    heading: str  # "2023", "July 2023", or "Date unknown"
    year: int | None
    month: int | None  # None for a year group
    videos: tuple[Video, ...]


def by_year(videos: Sequence[Video], viewer_zone: tzinfo | None = None) -> list[Group]:
    """Consecutive runs of `videos` (already ordered) under their year's heading."""
    return _runs(videos, viewer_zone, months=False)


def by_month(videos: Sequence[Video], viewer_zone: tzinfo | None = None) -> list[Group]:
    """Consecutive runs of `videos` (already ordered) under "July 2023" headings."""
    return _runs(videos, viewer_zone, months=True)


def _runs(videos: Sequence[Video], viewer_zone: tzinfo | None, *, months: bool) -> list[Group]:
    groups: list[Group] = []
    run: list[Video] = []
    current: tuple[int, int] | None = None
    for video in videos:
        day = day_of(video, viewer_zone)
        label = None if day is None else (day.year, day.month if months else 0)
        if run and label != current:
            groups.append(_group(current, run, months))
            run = []
        current = label
        run.append(video)
    if run:
        groups.append(_group(current, run, months))
    return groups


def _group(label: tuple[int, int] | None, videos: list[Video], months: bool) -> Group:
    if label is None:
        return Group("Date unknown", None, None, tuple(videos))
    year, month = label
    heading = f"{MONTHS[month - 1]} {year}" if months else str(year)
    return Group(heading, year, month if months else None, tuple(videos))


@dataclass(frozen=True)
class Memory:
    video: Video
    years_ago: int

    @property
    def caption(self) -> str:
        return "1 year ago" if self.years_ago == 1 else f"{self.years_ago} years ago"


def on_this_day(
    videos: Iterable[Video], today: date, viewer_zone: tzinfo | None = None
) -> list[Memory]:
    """Videos filmed on today's month and day in earlier years, most recent year first.
    Only recorded dates count: a file's copy date is no memory."""
    found = []
    for video in videos:
        if video.recorded is None:
            continue
        day = day_of(video, viewer_zone)
        if day.year < today.year and _anniversary(day, today.year) == today:
            found.append(Memory(video, today.year - day.year))
    found.sort(key=lambda m: (m.years_ago, natural_key(m.video.title)))
    return found


def _anniversary(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 2, 28)


def years(videos: Iterable[Video], viewer_zone: tzinfo | None = None) -> list[int]:
    """The years that have videos, newest first (for "jump to a year")."""
    found = {day.year for day in (day_of(v, viewer_zone) for v in videos) if day is not None}
    return sorted(found, reverse=True)
