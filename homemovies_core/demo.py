"""A small generated demo library, so the app shows something on first run.

Everything is synthesised with ffmpeg's lavfi test sources (no downloads, no
media files in the repository) and covers every kind of video the library
knows: progressive MP4 with poster and subtitles, an HLS folder, a file
browsers cannot play, and a root-level file that lands in "Unsorted".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from homemovies_core.encode import encode_hls, make_poster, plan_ladder
from homemovies_core.ffmpeg import find_ffmpeg, probe
from homemovies_core.ffmpeg_run import run_with_progress
from homemovies_core.staging import staged_dir

__all__ = ["DEMO_VERSION", "MARKER", "ensure_demo_library"]

# Bump when the layout below changes, so existing demo libraries get rebuilt.
DEMO_VERSION = "1"
MARKER = ".demo-complete"

_SUBTITLES = """WEBVTT

00:00:00.500 --> 00:00:02.500
A walk along the beach.

00:00:03.000 --> 00:00:05.500
The test pattern waves hello.
"""


def ensure_demo_library(root: Path, ffmpeg: str | None = None) -> Path:
    """Return ``root`` holding the demo library, building it first if needed.

    A library is reused when its marker names the current DEMO_VERSION. It is
    built in a temporary folder beside ``root`` and renamed into place, so an
    interrupted build never leaves a half-made library that looks complete.
    """
    root = Path(root)
    if _is_complete(root):
        return root
    exe = find_ffmpeg(ffmpeg)
    root.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    _say(f"building demo library in {root} ...")
    try:
        with staged_dir(root, replace=True) as staging:
            _build(staging, exe)
            (staging / MARKER).write_text(DEMO_VERSION + "\n", encoding="utf-8")
    except OSError:
        if not _is_complete(root):  # lost a race to a concurrent build: fine if that one is
            raise  # complete
    _say(f"demo library ready ({time.monotonic() - started:.1f} s)")
    return root


def _is_complete(root: Path) -> bool:
    try:
        return (root / MARKER).read_text(encoding="utf-8").strip() == DEMO_VERSION
    except OSError:
        return False


def _say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def _build(base: Path, ffmpeg: str) -> None:
    holidays = base / "Holidays"
    birthdays = base / "Birthdays"
    tapes = base / "Old tapes"
    for folder in (holidays, birthdays, tapes):
        folder.mkdir()

    beach = holidays / "Beach walk.mp4"
    _mp4(ffmpeg, beach, "testsrc2", tone=440)
    (holidays / "Beach walk.en.vtt").write_text(_SUBTITLES, encoding="utf-8")
    _mp4(ffmpeg, holidays / "Mountain view.mp4", "mandelbrot", tone=330)

    _mp4(ffmpeg, birthdays / "Blowing candles.mp4", "smptebars", tone=523)
    # The HLS video is encoded from a scratch clip that is not kept in the library.
    scratch = base / ".party-source.mp4"
    _clip(ffmpeg, scratch, "testsrc2", tone=660, codec=["-c:v", "libx264", "-preset", "ultrafast"])
    party = birthdays / "Birthday party.hls"
    _say(f"encoding {party.relative_to(base)}")
    source = probe(scratch, ffmpeg)
    encode_hls(
        scratch,
        party,
        plan_ladder(source, [360, 240]),
        segment_seconds=2,
        preset="ultrafast",
        ffmpeg=ffmpeg,
        source_probe=source,
    )
    make_poster(scratch, party / "poster.jpg", source, ffmpeg)
    scratch.unlink()

    # MPEG-4 Part 2 in AVI: a typical digitised tape that no browser plays.
    tape = tapes / "Grandpa 1994.avi"
    _clip(
        ffmpeg,
        tape,
        "smptebars",
        tone=220,
        codec=["-c:v", "mpeg4", "-q:v", "5", "-c:a", "pcm_s16le"],
    )
    make_poster(tape, tape.with_suffix(".jpg"), probe(tape, ffmpeg), ffmpeg)

    _mp4(ffmpeg, base / "Welcome.mp4", "testsrc2", tone=392)


def _mp4(ffmpeg: str, path: Path, pattern: str, tone: int) -> None:
    """A browser-playable H.264/AAC MP4 with its poster beside it."""
    _clip(
        ffmpeg,
        path,
        pattern,
        tone=tone,
        # faststart puts the index first so a browser starts playing at once.
        codec=["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"],
    )  # fmt: skip
    make_poster(path, path.with_suffix(".jpg"), probe(path, ffmpeg), ffmpeg)


def _clip(
    ffmpeg: str, path: Path, pattern: str, *, tone: int, codec: list[str], seconds: int = 6
) -> None:
    # The staging folder's random name means nothing to a reader; show the library path.
    shown = path.name if path.parent.name.startswith(".") else f"{path.parent.name}/{path.name}"
    _say(f"making {shown}")
    args = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"{pattern}=size=640x360:rate=25",
        "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000",
        "-t", str(seconds), *codec, str(path),
    ]  # fmt: skip
    run_with_progress(args, float(seconds), None)
