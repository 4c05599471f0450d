"""When a video was recorded, from the tags ffprobe reports: which tag wins, time zones,
and the nonsense cameras write when their clock was never set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from homemovies_core.recorded import (
    CONTAINER,
    FILE_TIME,
    QUICKTIME,
    Recorded,
    describe,
    from_tags,
    parse_date,
    recorded,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FILE_TIME_VALUE = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
QT = "com.apple.quicktime.creationdate"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_quicktime_date_wins_and_keeps_its_offset():
    tags = [("creation_time", "2023-07-14T14:02:11.000000Z"), (QT, "2023-07-14T16:02:11+0200")]
    found = recorded(tags, FILE_TIME_VALUE, NOW)
    assert found.source == QUICKTIME
    assert found.when == at("2023-07-14T16:02:11+02:00")
    # The hour on the beach, not in Greenwich: the offset is kept, not converted.
    assert (found.when.hour, found.when.utcoffset()) == (16, timedelta(hours=2))


def test_container_creation_time_is_utc():
    found = recorded([("creation_time", "2023-07-14T14:02:11.000000Z")], FILE_TIME_VALUE, NOW)
    assert found == Recorded(at("2023-07-14T14:02:11+00:00"), CONTAINER)
    assert found.when.utcoffset() == timedelta(0)


def test_without_tags_the_file_time_is_used():
    assert recorded([], FILE_TIME_VALUE, NOW) == Recorded(FILE_TIME_VALUE, FILE_TIME)
    assert recorded([("encoder", "Lavf60")], 1_700_000_000.5, NOW) == Recorded(
        datetime.fromtimestamp(1_700_000_000.5, UTC), FILE_TIME
    )


def test_a_naive_file_time_is_read_as_utc():
    found = recorded([], datetime(2025, 1, 2, 3, 4, 5), NOW)
    assert found.when == FILE_TIME_VALUE and found.source == FILE_TIME


def test_a_naive_container_time_is_utc_but_a_naive_quicktime_date_is_not_trusted():
    # Matroska and AVI report creation times without an offset; they are UTC by the format.
    assert from_tags([("creation_time", "2023-07-14 14:02:11")], NOW) == Recorded(
        at("2023-07-14T14:02:11+00:00"), CONTAINER
    )
    # QuickTime's date is local time; without its offset it is no better than a guess,
    # so the container's exact time is taken instead.
    tags = [(QT, "2023-07-14T16:02:11"), ("creation_time", "2023-07-14T14:02:11Z")]
    assert from_tags(tags, NOW).source == CONTAINER
    assert from_tags([(QT, "2023-07-14T16:02:11")], NOW) is None


@pytest.mark.parametrize(
    "offset, text",
    [
        (timedelta(hours=-7), "2023-07-14T07:02:11-0700"),
        (timedelta(hours=5, minutes=30), "2023-07-14T19:32:11+05:30"),
        (timedelta(hours=14), "2023-07-15T04:02:11+1400"),
        (timedelta(hours=-12), "2023-07-14T02:02:11-12:00"),
    ],
)
def test_every_offset_is_kept(offset, text):
    found = from_tags([(QT, text)], NOW)
    assert found is not None and found.when.utcoffset() == offset
    assert found.when == at("2023-07-14T14:02:11+00:00")  # the same instant


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "garbage",
        "0000-00-00 00:00:00",
        "0000-00-00T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-07-14",
        "2023-07-32T10:00:00Z",
        "1970-01-01T00:00:00.000000Z",
        "1970-01-01T00:00:00+0200",
        "1969-12-31T23:59:59Z",
        "1970-01-01T05:00:00Z",
        "1904-01-01T00:00:00.000000Z",
        "1903-12-31T18:00:00-0600",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2040-01-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
        "x" * 5000,
    ],
)
def test_odd_values_are_no_date(value):
    assert from_tags([("creation_time", value)], NOW) is None
    assert from_tags([(QT, value)], NOW) is None
    assert recorded([("creation_time", value)], FILE_TIME_VALUE, NOW).source == FILE_TIME


def test_a_clock_a_little_ahead_is_still_a_date():
    ahead = (NOW + timedelta(hours=20)).isoformat()
    assert from_tags([("creation_time", ahead)], NOW).source == CONTAINER


def test_an_odd_quicktime_date_falls_back_to_the_container():
    tags = [(QT, "0000-00-00T00:00:00+0000"), ("creation_time", "2019-05-01T08:00:00Z")]
    assert from_tags(tags, NOW) == Recorded(at("2019-05-01T08:00:00+00:00"), CONTAINER)


def test_the_first_good_value_of_several_wins():
    # ffmpeg reports both of an MP4's creation times in one value, separated by ";".
    tags = [
        ("creation_time", "1970-01-01T00:00:00Z;2021-03-04T05:06:07Z"),
        ("creation_time", "2021-03-04T05:06:08.000000Z"),
    ]
    assert from_tags(tags, NOW).when == at("2021-03-04T05:06:07+00:00")
    # The container's tag comes before the stream's; a bad container tag lets a stream's
    # good one through.
    tags = [("creation_time", "garbage"), ("creation_time", "2021-03-04T05:06:08.000000Z")]
    assert from_tags(tags, NOW).when == at("2021-03-04T05:06:08+00:00")


def test_tag_names_are_matched_without_case_and_values_may_be_padded():
    assert from_tags([("CREATION_TIME", " 2021-03-04T05:06:07Z ")], NOW).source == CONTAINER
    assert (
        from_tags([("Com.Apple.QuickTime.CreationDate", "2021-03-04T05:06:07+0100")], NOW).source
        == QUICKTIME
    )


def test_exif_style_dates_are_read():
    assert parse_date("2021:03:04 05:06:07", naive_is_utc=True) == at("2021-03-04T05:06:07+00:00")
    assert parse_date("2021:03:04 05:06:07+0100", naive_is_utc=False) == at(
        "2021-03-04T05:06:07+01:00"
    )


def test_leap_days():
    found = from_tags([(QT, "2024-02-29T23:30:00+0100")], NOW)
    assert (found.when.month, found.when.day) == (2, 29)
    assert from_tags([("creation_time", "2000-02-29T12:00:00Z")], NOW).when.day == 29
    # 29 February of a common year (and of 1900, not a leap year) does not exist.
    assert from_tags([("creation_time", "2023-02-29T12:00:00Z")], NOW) is None
    assert from_tags([("creation_time", "1900-02-29T12:00:00Z")], NOW) is None


def test_an_old_digitised_reel_keeps_its_date():
    assert from_tags([(QT, "1965-08-21T15:00:00+0000")], NOW).when.year == 1965


def test_recorded_values_must_be_aware_and_named():
    with pytest.raises(ValueError):
        Recorded(datetime(2023, 1, 1), QUICKTIME)
    with pytest.raises(ValueError):
        Recorded(datetime(2023, 1, 1, tzinfo=UTC), "exif")


def test_the_line_ingest_prints_names_the_source():
    when = datetime(2023, 7, 14, 16, 2, 11, tzinfo=timezone(timedelta(hours=2)))
    assert (
        describe(Recorded(when, QUICKTIME))
        == "14 Jul 2023 16:02 (+02:00), from the QuickTime creation date"
    )
    assert (
        describe(Recorded(when.astimezone(UTC), CONTAINER))
        == "14 Jul 2023 14:02 (UTC), from the container's creation time"
    )
    assert "file's modified time" in describe(Recorded(when, FILE_TIME))
    minus = datetime(2023, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert describe(Recorded(minus, QUICKTIME)).startswith("5 Jan 2023 08:00 (-03:30)")
