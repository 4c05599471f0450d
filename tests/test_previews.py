"""Seek previews: the tile index (pure), real ffmpeg sprite sheets, and ingest writing both."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from homemovies_core import library
from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.ffmpeg import Probe, find_ffmpeg, probe
from homemovies_core.previews import (
    Layout,
    interval_for,
    make_previews,
    plan_cues,
    tile_size,
    vtt_text,
)
from homemovies_core.storage.base import Listing, ObjectInfo
from homemovies_core.storage.local import LocalStorage
from tests.support.media import ingest_small, make_clip

CUE = re.compile(
    r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n"
    r"(thumbs-\d{4}\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)$"
)


def parse_vtt(text: str) -> list[tuple[float, float, str, tuple[int, int, int, int]]]:
    """The cues as (start, end, sheet, (x, y, w, h)); fails on anything else in the file."""
    header, *blocks = text.strip().split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        match = CUE.match(block)
        assert match, block
        g = match.groups()
        start = int(g[0]) * 3600 + int(g[1]) * 60 + int(g[2]) + int(g[3]) / 1000
        end = int(g[4]) * 3600 + int(g[5]) * 60 + int(g[6]) + int(g[7]) / 1000
        cues.append((start, end, g[8], tuple(int(v) for v in g[9:13])))
    return cues


# -- the index ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "duration,interval,tiles",
    [(6.0, 2, 3), (6.52, 2, 4), (7.9, 1, 8), (3725.4, 10, 373), (1.0, 2, 1)],
)
def test_cues_cover_the_whole_duration_without_gaps(duration, interval, tiles):
    cues = parse_vtt(vtt_text(plan_cues(tiles, interval, duration, Layout(160, 90))))
    assert len(cues) == tiles
    assert cues[0][0] == 0
    assert cues[-1][1] == pytest.approx(duration, abs=0.001)
    for (_s, end, *_), (start, *_rest) in zip(cues, cues[1:], strict=False):
        assert start == end  # every moment has exactly one tile
    assert all(end > start for start, end, *_ in cues)


def test_hours_are_written_in_full():
    cues = plan_cues(400, 10, 3725.4, Layout(160, 90))
    text = vtt_text(cues)
    assert "01:02:05.400" in text  # the end of a 1 h 2 min 5.4 s movie
    assert "01:02:00.000 --> 01:02:05.400\nthumbs-0004.jpg#xywh=" in text


def test_tiles_fill_sheets_row_by_row_and_then_the_next_sheet():
    layout = Layout(160, 90, columns=3, rows=2)
    cues = parse_vtt(vtt_text(plan_cues(8, 1, 8.0, layout)))
    assert [(sheet, xywh) for _s, _e, sheet, xywh in cues] == [
        ("thumbs-0001.jpg", (0, 0, 160, 90)),
        ("thumbs-0001.jpg", (160, 0, 160, 90)),
        ("thumbs-0001.jpg", (320, 0, 160, 90)),
        ("thumbs-0001.jpg", (0, 90, 160, 90)),
        ("thumbs-0001.jpg", (160, 90, 160, 90)),
        ("thumbs-0001.jpg", (320, 90, 160, 90)),
        ("thumbs-0002.jpg", (0, 0, 160, 90)),
        ("thumbs-0002.jpg", (160, 0, 160, 90)),
    ]


def test_a_partial_last_sheet_is_only_as_big_as_its_tiles():
    layout = Layout(90, 160, columns=3, rows=2)
    assert layout.sheet_size(6) == (270, 320)
    assert layout.sheet_size(4) == (270, 320)  # a second row has begun
    assert layout.sheet_size(2) == (180, 160)  # one row, two tiles
    assert layout.sheet_size(1) == (90, 160)


def test_a_video_stream_longer_or_shorter_than_the_container():
    layout = Layout(160, 90)
    # One frame more than the container's duration: that tile could never be hovered.
    assert len(plan_cues(4, 2, 6.0, layout)) == 3
    # Video ends early (audio runs on): the last tile stands for the rest.
    cues = plan_cues(2, 2, 6.5, layout)
    assert [(c.start, c.end) for c in cues] == [(0, 2), (2, 6.5)]
    # Unknown duration: each tile stands for one interval.
    assert [(c.start, c.end) for c in plan_cues(2, 2, 0.0, layout)] == [(0, 2), (2, 4)]


@pytest.mark.parametrize(
    "duration,expected",
    [(0, 2), (30, 2), (300, 3), (600, 6), (3600, 10), (7200, 10), (100_000, 20)],
)
def test_tiles_come_every_few_seconds(duration, expected):
    assert interval_for(duration) == expected


@pytest.mark.parametrize(
    "width,height,rotation,expected",
    [
        (1920, 1080, 0, (160, 90)),
        (640, 480, 0, (160, 120)),
        (1920, 1080, 90, (90, 160)),
        (720, 1280, 0, (90, 160)),
        (3840, 1644, 0, (160, 68)),
    ],
)
def test_tiles_are_upright_even_and_at_most_160_pixels(width, height, rotation, expected):
    assert tile_size(Probe(10.0, width, height, rotation, True)) == expected


def test_the_index_is_found_in_a_movie_folder_and_is_not_a_subtitle():
    prefix = "Family/Beach.hls/"
    listing = Listing(
        tuple(
            ObjectInfo(prefix + n, 10, None)
            for n in (
                "output.m3u8",
                "poster.jpg",
                "thumbnails.vtt",
                "thumbs-0001.jpg",
                "Beach.en.vtt",
            )
        ),
        (ObjectInfo(prefix + "v0/", None, None),),
    )
    assert library.hls_thumbnails(listing) == prefix + "thumbnails.vtt"
    assert [s.name for s in library.hls_subtitles(listing)] == [prefix + "Beach.en.vtt"]
    plain = Listing((ObjectInfo(prefix + "output.m3u8", 10, None),), ())
    assert library.hls_thumbnails(plain) is None


# -- real ffmpeg --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=6, size="320x240")


@pytest.fixture(scope="module")
def sprites(clip: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sprites")
    make_previews(clip, out, probe(clip), interval=1, columns=2, rows=2)
    return out


def test_sheets_have_the_pixel_size_the_index_says(sprites: Path):
    cues = parse_vtt((sprites / "thumbnails.vtt").read_text(encoding="utf-8"))
    assert len(cues) == 6 and cues[-1][1] == pytest.approx(6.0, abs=0.05)
    assert sorted(p.name for p in sprites.glob("*.jpg")) == ["thumbs-0001.jpg", "thumbs-0002.jpg"]
    sizes = {}
    for name in ("thumbs-0001.jpg", "thumbs-0002.jpg"):
        with Image.open(sprites / name) as sheet:
            assert sheet.format == "JPEG"
            sizes[name] = sheet.size
    assert sizes == {"thumbs-0001.jpg": (320, 240), "thumbs-0002.jpg": (320, 120)}
    for _s, _e, sheet, (x, y, w, h) in cues:
        assert (w, h) == (160, 120)
        assert x + w <= sizes[sheet][0] and y + h <= sizes[sheet][1]


def _frame_at(clip: Path, seconds: float, size: tuple[int, int], out: Path) -> Image.Image:
    subprocess.run(
        [
            find_ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            f"{seconds}",
            "-i",
            str(clip),
            "-frames:v",
            "1",
            "-vf",
            f"scale={size[0]}:{size[1]}",
            str(out),
        ],
        check=True,
    )
    return Image.open(out).convert("RGB")


def test_each_tile_shows_the_picture_at_its_time(clip: Path, sprites: Path, tmp_path: Path):
    cues = parse_vtt((sprites / "thumbnails.vtt").read_text(encoding="utf-8"))
    tiles = []
    for _s, _e, sheet, (x, y, w, h) in cues:
        with Image.open(sprites / sheet) as image:
            tiles.append(image.convert("RGB").crop((x, y, x + w, y + h)))
    for index, (start, *_rest) in enumerate(cues):
        reference = _frame_at(clip, start, tiles[index].size, tmp_path / f"{index}.png")
        distance = [
            sum(ImageStat.Stat(ImageChops.difference(reference, tile)).mean) for tile in tiles
        ]
        assert distance.index(min(distance)) == index, distance


def test_a_portrait_phone_video_gets_upright_tiles(tmp_path: Path):
    phone = make_clip(tmp_path / "phone.mp4", seconds=4, size="640x360", rotate=90)
    make_previews(phone, tmp_path / "out", probe(phone))
    cues = parse_vtt((tmp_path / "out" / "thumbnails.vtt").read_text(encoding="utf-8"))
    assert len(cues) == 2  # every 2 s
    assert {xywh[2:] for *_t, xywh in cues} == {(90, 160)}
    with Image.open(tmp_path / "out" / "thumbs-0001.jpg") as sheet:
        assert sheet.size == (180, 160)


def test_ingest_puts_previews_in_the_movie_and_the_catalog_finds_them(tmp_path: Path):
    source = make_clip(tmp_path / "camera" / "Picnic.mp4", seconds=4, size="320x240")
    root = tmp_path / "library"
    root.mkdir()
    ingest_small(source, root, "Family")
    catalog = Catalog(
        LocalStorage(root, b"k" * 32), LocalCache(), listing_ttl=0, count_eagerly=True
    )
    (movie,) = catalog.folder_view("Family/").videos
    assert catalog.hls_thumbnails(movie) == "Family/Picnic.hls/thumbnails.vtt"
    assert catalog.hls_subtitles(movie) == ()
    folder = root / "Family" / "Picnic.hls"
    cues = parse_vtt((folder / "thumbnails.vtt").read_text(encoding="utf-8"))
    assert cues[-1][1] == pytest.approx(probe(source).duration, abs=0.01)
    for _s, _e, sheet, (x, y, w, h) in cues:
        with Image.open(folder / sheet) as image:
            assert x + w <= image.width and y + h <= image.height
