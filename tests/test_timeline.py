"""Home movies by when they were filmed: order, year and month groups, "On this day"
(time zones and leap days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from homemovies_core.library import Kind, Video
from homemovies_core.timeline import (
    Order,
    by_month,
    by_year,
    on_this_day,
    ordered,
    years,
)

LISBON = ZoneInfo("Europe/Lisbon")
TOKYO = ZoneInfo("Asia/Tokyo")
COPIED = datetime(2025, 1, 5, 9, 0, tzinfo=UTC)  # when the files were copied to the library


def video(
    title: str,
    recorded: datetime | None,
    source: str | None = "quicktime",
    modified: datetime = COPIED,
) -> Video:
    return Video(
        key=f"F/{title}.mp4",
        folder="F/",
        title=title,
        kind=Kind.PROGRESSIVE,
        badge="MP4",
        modified=modified,
        recorded=recorded,
        recorded_source=source if recorded else None,
    )


BEACH = video("Beach", datetime(2023, 7, 14, 16, 2, tzinfo=timezone(timedelta(hours=2))))
PARTY = video("Party", datetime(2019, 7, 14, 23, 30, tzinfo=timezone(timedelta(hours=1))))
SNOW = video("Snow", datetime(2021, 1, 3, 10, 0, tzinfo=UTC), source="container")
COPY = video("Copied", None)  # no recorded date: the file's time stands in
UNDATED = Video(key="F/x.mp4", folder="F/", title="x", kind=Kind.PROGRESSIVE, badge="MP4")


def test_newest_filmed_first_then_oldest_then_by_name():
    assert [v.title for v in ordered([SNOW, BEACH, UNDATED, PARTY, COPY])] == [
        "Copied",
        "Beach",
        "Snow",
        "Party",
        "x",
    ]
    assert [v.title for v in ordered([SNOW, BEACH, UNDATED, PARTY, COPY], Order.OLDEST)] == [
        "Party",
        "Snow",
        "Beach",
        "Copied",
        "x",
    ]
    assert [v.title for v in ordered([SNOW, BEACH, PARTY], Order.NAME)] == [
        "Beach",
        "Party",
        "Snow",
    ]
    assert Order.parse("oldest") is Order.OLDEST and Order.parse("junk") is Order.NEWEST


def test_year_and_month_groups():
    videos = ordered([BEACH, PARTY, SNOW, UNDATED])
    assert [(g.heading, [v.title for v in g.videos]) for g in by_year(videos)] == [
        ("2023", ["Beach"]),
        ("2021", ["Snow"]),
        ("2019", ["Party"]),
        ("Date unknown", ["x"]),
    ]
    assert [g.heading for g in by_month(videos)] == [
        "July 2023",
        "January 2021",
        "July 2019",
        "Date unknown",
    ]
    assert years(videos) == [2023, 2021, 2019]


def test_on_this_day_counts_years_and_skips_file_times():
    memories = on_this_day([BEACH, PARTY, SNOW, COPY], date(2026, 7, 14), LISBON)
    assert [(m.video.title, m.caption) for m in memories] == [
        ("Beach", "3 years ago"),
        ("Party", "7 years ago"),
    ]
    assert on_this_day([BEACH, PARTY], date(2026, 7, 15), LISBON) == []
    assert on_this_day([BEACH], date(2023, 7, 14), LISBON) == []  # not an earlier year
    # The copy date of a file is no memory, even on its day.
    assert on_this_day([COPY], date(2026, 1, 5), LISBON) == []


def test_the_camera_s_own_offset_decides_the_day():
    """23:30 in the camera's zone is that day, wherever it is watched; a time known only in
    UTC is read in the viewer's zone."""
    assert [m.video.title for m in on_this_day([PARTY], date(2026, 7, 14), TOKYO)] == ["Party"]
    late_utc = video("Late", datetime(2020, 3, 1, 23, 30, tzinfo=UTC), source="container")
    assert on_this_day([late_utc], date(2026, 3, 2), TOKYO)  # already 2 March in Tokyo
    assert on_this_day([late_utc], date(2026, 3, 1), LISBON)  # still 1 March in Lisbon


def test_leap_day_memories_come_every_year():
    leap = video("Leap", datetime(2020, 2, 29, 12, 0, tzinfo=timezone(timedelta(hours=1))))
    eve = video("Eve", datetime(2021, 2, 28, 12, 0, tzinfo=timezone(timedelta(hours=1))))
    assert [m.video.title for m in on_this_day([leap, eve], date(2023, 2, 28))] == ["Eve", "Leap"]
    assert [m.video.title for m in on_this_day([leap, eve], date(2024, 2, 29))] == ["Leap"]
    assert [m.video.title for m in on_this_day([leap, eve], date(2024, 2, 28))] == ["Eve"]
