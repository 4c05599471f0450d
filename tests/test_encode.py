"""HLS conversion, probing and posters, against real ffmpeg and ffprobe binaries."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import m3u8
import pytest
from PIL import Image, ImageStat

from homemovies_core import encode as encode_module
from homemovies_core import ffmpeg as ffmpeg_module
from homemovies_core.encode import (
    DEFAULT_LADDER,
    Rung,
    copy_subtitles,
    encode_hls,
    make_poster,
    plan_ladder,
)
from homemovies_core.ffmpeg import (
    FfmpegError,
    Probe,
    find_ffmpeg,
    find_ffprobe,
    probe,
    probe_with_ffmpeg,
    probe_with_ffprobe,
)
from homemovies_core.ffmpeg_run import run_with_progress
from homemovies_core.library import videos_in
from homemovies_core.storage.base import Listing, ObjectInfo
from tests.support.media import make_clip

SYSTEM_FFPROBE = "/usr/bin/ffprobe"
SYSTEM_FFMPEG = "/usr/bin/ffmpeg"
SEGMENT_SECONDS = 2
ALL_HEIGHTS = [rung.height for rung in DEFAULT_LADDER]


@pytest.fixture(scope="module")
def bundled() -> str:
    """imageio-ffmpeg's binary: the one the app can always count on, with no ffprobe beside it."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def landscape(media: Path) -> Path:
    return make_clip(media / "landscape.mp4", seconds=4, size="1280x720")


@pytest.fixture(scope="module")
def portrait(media: Path) -> Path:
    return make_clip(media / "portrait.mp4", seconds=4, size="640x360", rotate=90)


@pytest.fixture(scope="module")
def silent(media: Path) -> Path:
    return make_clip(media / "silent.mp4", seconds=4, size="320x240", audio=False)


def _encode(source: Path, out: Path, preset: str = "ultrafast") -> list[Rung]:
    ladder = plan_ladder(probe(source), ALL_HEIGHTS)
    encode_hls(source, out, ladder, segment_seconds=SEGMENT_SECONDS, preset=preset)
    return ladder


@pytest.fixture(scope="module")
def landscape_hls(landscape: Path, media: Path) -> tuple[Path, list[Rung]]:
    out = media / "landscape.hls"
    # The default preset: ultrafast would drop x264 to Constrained Baseline.
    return out, _encode(landscape, out, preset="veryfast")


@pytest.fixture(scope="module")
def portrait_hls(portrait: Path, media: Path) -> tuple[Path, list[Rung]]:
    out = media / "portrait.hls"
    return out, _encode(portrait, out)


def _ffprobe_streams(path: Path) -> list[dict]:
    result = subprocess.run(
        [SYSTEM_FFPROBE, "-v", "error", "-print_format", "json", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["streams"]


# --- finding ffmpeg -------------------------------------------------------------


def test_find_ffmpeg_prefers_a_working_path_and_rejects_a_missing_one(bundled: str) -> None:
    assert find_ffmpeg(SYSTEM_FFMPEG) == SYSTEM_FFMPEG
    assert find_ffmpeg() == bundled
    with pytest.raises(FfmpegError, match=r"ffmpeg was not found at /nowhere/ffmpeg"):
        find_ffmpeg("/nowhere/ffmpeg")


def test_find_ffprobe_sibling_then_path(bundled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_ffprobe(SYSTEM_FFMPEG) == SYSTEM_FFPROBE
    monkeypatch.setattr(ffmpeg_module.shutil, "which", lambda name: None)
    assert find_ffprobe(bundled) is None


# --- probing --------------------------------------------------------------------


@pytest.mark.parametrize("prober", ["ffprobe", "bundled-stderr", "system-stderr"])
def test_probe_landscape(prober: str, landscape: Path, bundled: str) -> None:
    info = {
        "ffprobe": lambda: probe_with_ffprobe(landscape, SYSTEM_FFPROBE),
        "bundled-stderr": lambda: probe_with_ffmpeg(landscape, bundled),
        "system-stderr": lambda: probe_with_ffmpeg(landscape, SYSTEM_FFMPEG),
    }[prober]()
    assert info == Probe(
        duration=pytest.approx(4.0, abs=0.1), width=1280, height=720, rotation=0, has_audio=True
    )
    assert (info.display_width, info.display_height) == (1280, 720)


@pytest.mark.parametrize("prober", ["ffprobe", "bundled-stderr", "system-stderr"])
def test_probe_portrait_rotation(prober: str, portrait: Path, bundled: str) -> None:
    # ffmpeg 5 prints "displaymatrix: rotation of -90.00 degrees", ffmpeg 9
    # "Display Matrix: rotation of 90.00 degrees"; both must mean the same.
    info = {
        "ffprobe": lambda: probe_with_ffprobe(portrait, SYSTEM_FFPROBE),
        "bundled-stderr": lambda: probe_with_ffmpeg(portrait, bundled),
        "system-stderr": lambda: probe_with_ffmpeg(portrait, SYSTEM_FFMPEG),
    }[prober]()
    assert (info.width, info.height, info.rotation) == (640, 360, 90)
    assert (info.display_width, info.display_height) == (360, 640)


def test_probe_without_ffprobe_parses_stderr(
    silent: Path, bundled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ffmpeg_module.shutil, "which", lambda name: None)
    calls: list[str] = []
    original = ffmpeg_module.probe_with_ffmpeg
    monkeypatch.setattr(
        ffmpeg_module, "probe_with_ffmpeg", lambda p, exe: calls.append(exe) or original(p, exe)
    )
    info = probe(silent, bundled)
    assert calls == [bundled]
    assert (info.width, info.height, info.has_audio) == (320, 240, False)
    assert info.duration == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("use_ffprobe", [True, False])
def test_bad_input_is_a_clear_error(tmp_path: Path, bundled: str, use_ffprobe: bool) -> None:
    junk = tmp_path / "holiday.mp4"
    junk.write_bytes(b"this is not a video\n" * 100)
    with pytest.raises(
        FfmpegError, match=r"holiday\.mp4 is not a video ffmpeg can read: .+"
    ) as caught:
        if use_ffprobe:
            probe_with_ffprobe(junk, SYSTEM_FFPROBE)
        else:
            probe_with_ffmpeg(junk, bundled)
    assert "Traceback" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_input_fails_encode_before_writing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mov"
    junk.write_bytes(b"\x00" * 4096)
    with pytest.raises(FfmpegError, match="is not a video ffmpeg can read"):
        encode_hls(junk, tmp_path / "out.hls", DEFAULT_LADDER[-2:])
    assert not (tmp_path / "out.hls").exists()


# --- ladder ---------------------------------------------------------------------


def test_default_ladder_is_descending_and_even() -> None:
    heights = [rung.height for rung in DEFAULT_LADDER]
    assert heights == sorted(heights, reverse=True) == [2160, 1440, 1080, 720, 480, 360, 240]
    assert all(h % 2 == 0 for h in heights)
    assert [r.video_kbps for r in DEFAULT_LADDER] == sorted(
        (r.video_kbps for r in DEFAULT_LADDER), reverse=True
    )


def test_plan_ladder_never_upscales() -> None:
    hd = Probe(duration=10, width=1920, height=1080, rotation=0, has_audio=True)
    assert [r.height for r in plan_ladder(hd, ALL_HEIGHTS)] == [1080, 720, 480, 360, 240]
    # A portrait phone video is limited by the height the viewer sees.
    phone = Probe(duration=10, width=640, height=360, rotation=270, has_audio=True)
    assert [r.height for r in plan_ladder(phone, ALL_HEIGHTS)] == [480, 360, 240]


def test_plan_ladder_tiny_source_gets_one_even_rung() -> None:
    tiny = Probe(duration=10, width=300, height=201, rotation=0, has_audio=False)
    (rung,) = plan_ladder(tiny, ALL_HEIGHTS)
    assert rung.height == 200
    assert rung.video_kbps > 0


# --- HLS output -----------------------------------------------------------------


def _check_hls(out: Path, ladder: list[Rung]) -> list[tuple[int, int]]:
    master = m3u8.load(str(out / "output.m3u8"))
    assert master.is_variant
    assert [p.uri for p in master.playlists] == [f"v{i}/index.m3u8" for i in range(len(ladder))]
    sizes = []
    for variant in master.playlists:
        info = variant.stream_info
        assert info.bandwidth and info.bandwidth > 0
        assert info.resolution is not None
        width, height = info.resolution
        assert max(width, height) <= max(1280, 720)
        assert width % 2 == 0 and height % 2 == 0
        sizes.append((width, height))
        media = m3u8.load(str(out / variant.uri))
        assert media.is_endlist and media.playlist_type == "vod"
        assert media.segments
        for segment in media.segments:
            assert segment.duration <= SEGMENT_SECONDS + 1
            assert (out / Path(variant.uri).parent / segment.uri).is_file()
        assert sum(s.duration for s in media.segments) == pytest.approx(4.0, abs=0.3)
    return sizes


def test_landscape_hls_lists_every_rendition(landscape_hls: tuple[Path, list[Rung]]) -> None:
    out, ladder = landscape_hls
    assert [r.height for r in ladder] == [720, 480, 360, 240]
    sizes = _check_hls(out, ladder)
    assert sizes == [(1280, 720), (854, 480), (640, 360), (426, 240)]
    assert "BANDWIDTH=" in (out / "output.m3u8").read_text()


def test_portrait_hls_stays_portrait(portrait_hls: tuple[Path, list[Rung]]) -> None:
    out, ladder = portrait_hls
    assert [r.height for r in ladder] == [480, 360, 240]
    for width, height in _check_hls(out, ladder):
        assert height > width
    # Rotation is baked into the pixels; no display matrix is left to rotate twice.
    (video,) = [
        s for s in _ffprobe_streams(out / "v0" / "seg00000.ts") if s["codec_type"] == "video"
    ]
    assert video["height"] > video["width"]
    assert not any("rotation" in side for side in video.get("side_data_list", []))


def test_master_without_resolution_is_repaired(
    landscape_hls: tuple[Path, list[Rung]], tmp_path: Path
) -> None:
    # Some ffmpeg builds omit RESOLUTION; players need it to pick a rendition.
    source, ladder = landscape_hls
    out = tmp_path / "copy.hls"
    shutil.copytree(source, out)
    master_file = out / "output.m3u8"
    stripped = re.sub(r",RESOLUTION=\d+x\d+", "", master_file.read_text())
    assert "RESOLUTION" not in stripped
    master_file.write_text(stripped)
    encode_module._ensure_master_attributes(out, ladder)
    repaired = m3u8.load(str(master_file))
    assert [p.stream_info.resolution for p in repaired.playlists] == [
        (1280, 720),
        (854, 480),
        (640, 360),
        (426, 240),
    ]


def test_segments_play_in_ffprobe(landscape_hls: tuple[Path, list[Rung]]) -> None:
    out, _ = landscape_hls
    streams = _ffprobe_streams(out / "v1" / "seg00001.ts")
    codecs = {s["codec_type"]: s for s in streams}
    assert codecs["video"]["codec_name"] == "h264"
    assert codecs["video"]["profile"] == "Main"
    assert codecs["video"]["pix_fmt"] == "yuv420p"
    assert codecs["video"]["height"] == 480
    assert codecs["audio"]["codec_name"] == "aac"


def test_keyframes_start_every_segment(landscape_hls: tuple[Path, list[Rung]]) -> None:
    # Aligned keyframes are what let a player switch rendition at a segment boundary.
    out, _ = landscape_hls
    for rendition in ("v0", "v3"):
        for segment in sorted((out / rendition).glob("*.ts")):
            first = subprocess.run(
                [SYSTEM_FFPROBE, "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
                 "-show_entries", "frame=key_frame", "-of", "default=nw=1:nk=1", str(segment)],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            assert first[:1] == ["1"], segment


def test_source_without_audio_gives_video_only_hls(silent: Path, tmp_path: Path) -> None:
    out = tmp_path / "silent.hls"
    encode_hls(
        silent,
        out,
        [Rung(240, 300, 64), Rung(120, 150, 64)],
        segment_seconds=SEGMENT_SECONDS,
        preset="ultrafast",
    )
    master = m3u8.load(str(out / "output.m3u8"))
    assert len(master.playlists) == 2
    for variant in master.playlists:
        assert "mp4a" not in (variant.stream_info.codecs or "")
    assert [s["codec_type"] for s in _ffprobe_streams(out / "v0" / "seg00000.ts")] == ["video"]


def test_encode_reports_progress(silent: Path, tmp_path: Path) -> None:
    fractions: list[float] = []
    encode_hls(
        silent,
        tmp_path / "p.hls",
        [Rung(240, 300, 64)],
        preset="ultrafast",
        on_progress=fractions.append,
    )
    assert fractions and fractions[-1] == 1.0
    assert fractions == sorted(fractions)


# --- run_with_progress ----------------------------------------------------------


def test_run_with_progress_reports_increasing_fractions(bundled: str) -> None:
    fractions: list[float] = []
    # -re paces the input in real time, so a 2 s job yields several progress reports.
    run_with_progress(
        [bundled, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
         "-i", "testsrc2=size=160x120:rate=25:duration=2", "-f", "null", "-"],
        2.0,
        fractions.append,
    )  # fmt: skip
    assert len(fractions) >= 3
    assert all(a < b for a, b in itertools.pairwise(fractions))
    assert 0.0 <= fractions[0] < 0.9
    assert fractions[-1] == pytest.approx(1.0, abs=0.05)


def test_run_with_progress_failure_carries_stderr(bundled: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    with pytest.raises(FfmpegError, match=r"ffmpeg failed: .*No such file or directory"):
        run_with_progress(
            [bundled, "-hide_banner", "-i", str(missing), "-f", "null", "-"], 1.0, None
        )


# --- posters and subtitles ------------------------------------------------------


@pytest.mark.parametrize("clip", ["landscape", "portrait"])
def test_poster_is_a_bright_jpeg(clip: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source: Path = request.getfixturevalue(clip)
    poster = tmp_path / "poster.jpg"
    make_poster(source, poster, probe(source))
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(poster) as image:
        assert image.format == "JPEG"
        assert image.width <= 640
        if clip == "portrait":
            assert image.height > image.width
        assert ImageStat.Stat(image.convert("L")).mean[0] > 40


def test_poster_skips_a_black_opening(tmp_path: Path, bundled: str) -> None:
    # Home movies often open on a lens cap or a fade-in: 2 s of black, then picture.
    source = tmp_path / "fade.mp4"
    subprocess.run(
        [bundled, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "color=black:size=320x240:rate=25:duration=2", "-f", "lavfi",
         "-i", "testsrc2=size=320x240:rate=25:duration=4",
         "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0", "-c:v", "libx264", "-preset", "ultrafast",
         str(source)],
        check=True,
    )  # fmt: skip
    poster = tmp_path / "fade.jpg"
    make_poster(source, poster, probe(source))
    with Image.open(poster) as image:
        assert ImageStat.Stat(image.convert("L")).mean[0] > 40


def test_copy_subtitles_keeps_language_suffix(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "Movie [1].mp4").write_bytes(b"")
    for name in (
        "Movie [1].vtt",
        "Movie [1].en.vtt",
        "Movie [1].de.vtt",
        "Movie [10].vtt",
        "Other.en.vtt",
    ):
        (src / name).write_text("WEBVTT\n")
    copied = copy_subtitles(src / "Movie [1].mp4", tmp_path / "out.hls")
    assert sorted(p.name for p in copied) == [
        "Movie [1].de.vtt",
        "Movie [1].en.vtt",
        "Movie [1].vtt",
    ]
    assert all(p.read_text() == "WEBVTT\n" for p in copied)
    assert re.fullmatch(r".*out\.hls", str(copied[0].parent))


def test_ingest_copies_exactly_the_subtitles_the_library_shows(tmp_path: Path) -> None:
    # One rule for both: what the app attaches to Movie.mp4 is what ingest puts in Movie.hls/.
    names = [
        "Movie.vtt",
        "Movie.en.vtt",
        "Movie.pt-BR.vtt",
        "Movie.FR.VTT",
        "Movie.commentary.vtt",
        "Movie.en.forced.vtt",
        "Movie 2.vtt",
        "Other.en.vtt",
        "Movie.srt",
    ]
    for name in names:
        (tmp_path / name).write_text("WEBVTT\n")
    (tmp_path / "Movie.mp4").write_bytes(b"")
    listing = Listing(tuple(ObjectInfo(f"F/{n}") for n in sorted(os.listdir(tmp_path))), ())
    (movie,) = videos_in("F/", listing)
    shown = sorted(s.name.removeprefix("F/") for s in movie.subtitles)
    assert shown == ["Movie.FR.VTT", "Movie.en.vtt", "Movie.pt-BR.vtt", "Movie.vtt"]
    copied = copy_subtitles(tmp_path / "Movie.mp4", tmp_path / "out.hls")
    assert sorted(p.name for p in copied) == shown
