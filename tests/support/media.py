"""Generated media for tests: tiny clips and a library with awkward names.

Clips are synthesised with ffmpeg's lavfi sources and cached for the whole
test session (one temporary folder per process), so asking for the same clip
twice costs a file copy, not an encode.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path

from homemovies_core.encode import Rung, encode_hls, make_poster
from homemovies_core.ffmpeg import FfmpegError, find_ffmpeg, probe
from homemovies_core.ffmpeg_run import run_with_progress

__all__ = ["LIBRARY_FILES", "make_clip", "make_library", "tagged_clip"]

# Every file make_library creates, relative to its root; tests can iterate it.
LIBRARY_FILES: tuple[str, ...] = (
    "Summer 2023 #1/Beach day.mp4",
    "Summer 2023 #1/Beach day.jpg",
    "Summer 2023 #1/Beach day.en.vtt",
    "Summer 2023 #1/Ünïcode café.mp4",
    "Home videos/Party #2 ?.hls/output.m3u8",
    "Home videos/Party #2 ?.hls/poster.jpg",
    "Home videos/Party #2 ?.hls/v0/index.m3u8",
    "Home videos/Party #2 ?.hls/v1/index.m3u8",
    "Home videos/odd+name%20.mp4",
    "Home videos/Old.avi",
    "Loose clip.mp4",
)

# Small on purpose: these renditions only have to exist and play.
TEST_LADDER = (Rung(360, 500, 64), Rung(240, 250, 64))

_SUBTITLES = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nSand, sea and a test pattern.\n"

_cache_dir: Path | None = None


def _cache() -> Path:
    global _cache_dir
    if _cache_dir is None:
        _cache_dir = Path(tempfile.mkdtemp(prefix="homemovies-test-media-"))
        atexit.register(shutil.rmtree, _cache_dir, True)
    return _cache_dir


def _cached(key: str, suffix: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return _cache() / f"{digest}{suffix}"


def _ffmpeg_args(ffmpeg: str) -> list[str]:
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]


def make_clip(
    path: Path,
    seconds: float = 6,
    size: str = "320x240",
    audio: bool = True,
    rotate: int | None = None,
    *,
    pattern: str = "testsrc2",
    ffmpeg: str | None = None,
) -> Path:
    """Write an H.264/AAC MP4 (faststart) to ``path`` and return ``path``.

    ``rotate`` is the counter-clockwise display rotation in degrees stored in
    the container (as phones do for portrait video): ``rotate=90`` on a
    640x360 clip gives a 360x640 portrait picture.
    """
    path = Path(path)
    rotate = (rotate or 0) % 360 or None
    exe = find_ffmpeg(ffmpeg)
    key = f"clip|{seconds}|{size}|{audio}|{rotate}|{pattern}"
    cached = _cached(key, ".mp4")
    if not cached.exists():
        plain = _cached(f"clip|{seconds}|{size}|{audio}|None|{pattern}", ".mp4")
        if not plain.exists():
            _encode_clip(exe, plain, seconds, size, audio, pattern)
        if rotate:
            _rotate(exe, plain, cached, rotate)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, path)
    return path


def _encode_clip(exe: str, out: Path, seconds: float, size: str, audio: bool, pattern: str) -> None:
    args = [*_ffmpeg_args(exe), "-f", "lavfi", "-i", f"{pattern}=size={size}:rate=25"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    args += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k"]
    # Write to a temporary name first: a killed run must not leave a broken cache entry.
    partial = out.with_suffix(".partial.mp4")
    run_with_progress([*args, "-movflags", "+faststart", str(partial)], float(seconds), None)
    partial.rename(out)


def _rotate(exe: str, plain: Path, out: Path, rotate: int) -> None:
    """Remux with a display rotation, the way a phone stores portrait video."""
    partial = out.with_suffix(".partial.mp4")
    try:
        # ffmpeg >= 6.1: a display-matrix rotation on the input, kept by stream copy.
        run_with_progress(
            [*_ffmpeg_args(exe), "-display_rotation", str(rotate), "-i", str(plain),
             "-c", "copy", "-movflags", "+faststart", str(partial)],
            0.0,
            None,
        )  # fmt: skip
    except FfmpegError:
        # Older ffmpeg only has the legacy "rotate" tag, and builds disagree on
        # its sign when muxing; write it, check what came out, flip if needed.
        for tag in ((-rotate) % 360, rotate):
            run_with_progress(
                [*_ffmpeg_args(exe), "-i", str(plain), "-c", "copy",
                 "-metadata:s:v:0", f"rotate={tag}", "-movflags", "+faststart", str(partial)],
                0.0,
                None,
            )  # fmt: skip
            if probe(partial, exe).rotation == rotate:
                break
    partial.rename(out)


def _make_avi(exe: str, out: Path) -> None:
    """MPEG-4 Part 2 in AVI: plays in VLC, not in any browser."""
    run_with_progress(
        [*_ffmpeg_args(exe), "-f", "lavfi", "-i", "smptebars=size=320x240:rate=25",
         "-t", "3", "-c:v", "mpeg4", "-q:v", "6", str(out)],
        3.0,
        None,
    )  # fmt: skip


def make_library(root: Path, ffmpeg: str | None = None) -> Path:
    """Fill ``root`` with a small library of awkwardly named videos; return ``root``.

    Layout (see LIBRARY_FILES): folder "Summer 2023 #1" with "Beach day.mp4"
    (poster "Beach day.jpg", subtitles "Beach day.en.vtt") and
    "Ünïcode café.mp4"; folder "Home videos" with the HLS video
    "Party #2 ?.hls/" (two renditions, poster.jpg), "odd+name%20.mp4" and
    "Old.avi" (not browser-playable); and "Loose clip.mp4" at the root.
    """
    root = Path(root)
    exe = find_ffmpeg(ffmpeg)
    built = _cache() / "library"
    if not built.exists():
        staging = _cache() / "library.partial"
        shutil.rmtree(staging, ignore_errors=True)
        _build_library(staging, exe)
        staging.rename(built)
    shutil.copytree(built, root, dirs_exist_ok=True)
    return root


def _build_library(base: Path, exe: str) -> None:
    summer = base / "Summer 2023 #1"
    home = base / "Home videos"
    beach = make_clip(summer / "Beach day.mp4", seconds=4, ffmpeg=exe)
    make_poster(beach, summer / "Beach day.jpg", probe(beach, exe), exe)
    (summer / "Beach day.en.vtt").write_text(_SUBTITLES, encoding="utf-8")
    make_clip(summer / "Ünïcode café.mp4", seconds=4, pattern="smptebars", ffmpeg=exe)

    source = make_clip(_cache() / "party-source.mp4", seconds=4, size="640x360", ffmpeg=exe)
    party = home / "Party #2 ?.hls"
    encode_hls(source, party, TEST_LADDER, segment_seconds=2, preset="ultrafast", ffmpeg=exe)
    make_poster(source, party / "poster.jpg", probe(source, exe), exe)
    make_clip(home / "odd+name%20.mp4", seconds=4, ffmpeg=exe)
    _make_avi(exe, home / "Old.avi")

    make_clip(base / "Loose clip.mp4", seconds=4, pattern="smptebars", ffmpeg=exe)


def tagged_clip(path: Path, *metadata: str, faststart: bool = True, **clip) -> Path:
    """A small H.264 clip remuxed with `-metadata` tags, as a camera would have written them.
    The QuickTime creation date needs `use_metadata_tags` (an `mdta` key, as iPhones write)."""
    plain = make_clip(path.with_name(f".plain-{path.name}"), seconds=2, **clip)
    flags = "use_metadata_tags" + ("+faststart" if faststart else "")
    args = [
        find_ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(plain),
        "-map",
        "0",
        "-c",
        "copy",
        "-movflags",
        flags,
    ]
    for tag in metadata:
        args += ["-metadata", tag]
    run_with_progress([*args, str(path)], 0.0, None)
    plain.unlink()
    return path


def ingest_small(source: Path, root: Path, folder: str) -> None:
    """`source` put into `folder` of the local library at `root` by the real ingest command,
    quickly: the fastest x264 preset, 2-second segments and one 240p rendition."""
    from homemovies_core.ingest import main as ingest

    argv = [str(source), "--folder", folder, "--media_dir", str(root), "--preset", "ultrafast"]
    assert ingest([*argv, "--segment_seconds", "2", "--ladder", "240"]) == 0
