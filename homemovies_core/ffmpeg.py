"""Finding, probing and running ffmpeg.

The only binary we can count on is the one bundled with ``imageio-ffmpeg``,
and it ships without ``ffprobe``; so probing falls back to parsing the
human-readable report ``ffmpeg -i`` prints on stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import safe_json

__all__ = [
    "FfmpegError",
    "Probe",
    "find_ffmpeg",
    "find_ffprobe",
    "probe",
    "probe_remote",
    "probe_with_ffmpeg",
    "probe_with_ffprobe",
]


Args = list[str] | None  # arguments placed before `-i` (a remote input's options)


class FfmpegError(Exception):
    """ffmpeg is missing, or it could not read or write a video."""


@dataclass(frozen=True)
class Probe:
    """What we need to know about a video before converting it.

    ``width``/``height`` are the stored (coded) frame size; ``rotation`` is the
    counter-clockwise display rotation in degrees (0, 90, 180 or 270), the same
    convention as ffprobe's display-matrix ``rotation`` and ffmpeg's
    ``-display_rotation``. Phones record portrait video as landscape frames
    plus a rotation, so the size a viewer sees is ``display_width`` x
    ``display_height``.

    ``tags`` are the metadata (name, value) pairs in order of trust: the container's
    first, then the video stream's, then the other streams' (recorded.py reads the
    recording date from them). They are not part of equality: two probes of the same
    pictures are the same probe.
    """

    duration: float
    width: int
    height: int
    rotation: int
    has_audio: bool
    tags: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def _quarter_turn(self) -> bool:
        return self.rotation % 180 == 90

    @property
    def display_width(self) -> int:
        return self.height if self._quarter_turn else self.width

    @property
    def display_height(self) -> int:
        return self.width if self._quarter_turn else self.height


def find_ffmpeg(preferred: str | None = None) -> str:
    """Return the path of an ffmpeg executable.

    ``preferred`` (e.g. from a command-line flag) wins but must work; then the
    binary bundled with imageio-ffmpeg; then whatever ``ffmpeg`` is on PATH.
    """
    if preferred:
        if not (os.path.isfile(preferred) and os.access(preferred, os.X_OK)):
            raise FfmpegError(f"ffmpeg was not found at {preferred} (no executable file there).")
        return preferred
    try:
        import imageio_ffmpeg

        # Raises RuntimeError when the wheel has no binary for this platform.
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and os.access(exe, os.X_OK):
            return exe
    except (ImportError, RuntimeError):
        pass
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    raise FfmpegError(
        "ffmpeg was not found: install the imageio-ffmpeg package or put ffmpeg on PATH."
    )


def find_ffprobe(ffmpeg: str) -> str | None:
    """Return an ffprobe next to ``ffmpeg`` or on PATH, or None if there is none."""
    folder = Path(ffmpeg).parent
    for name in ("ffprobe", "ffprobe.exe"):
        sibling = folder / name
        if sibling.is_file() and os.access(sibling, os.X_OK):
            return str(sibling)
    return shutil.which("ffprobe")


def probe(path: str | Path, ffmpeg: str | None = None) -> Probe:
    """Describe the video at ``path``; ffprobe's JSON if we have it, else ffmpeg's stderr."""
    prober, exe = _choose_prober(ffmpeg)
    return prober(path, exe)


def probe_remote(
    url: str, ffmpeg: str | None = None, *, name: str, timeout: float = 120.0
) -> Probe:
    """Probe a video over HTTP(S): ffprobe (or ffmpeg) reads only the bytes it needs, with
    Range requests. `name` stands for the URL in every message: the URL may be a secret
    (a pre-authenticated request), so it never appears in an error."""
    prober, exe = _choose_prober(ffmpeg)
    # Microseconds; a server that stops answering ends the probe instead of hanging it.
    network = ["-rw_timeout", str(int(min(timeout, 60) * 1_000_000))]
    try:
        return prober(url, exe, timeout=timeout, input_args=network)
    except FfmpegError as exc:
        raise FfmpegError(str(exc).replace(url, name)) from None


def _choose_prober(ffmpeg: str | None) -> tuple[Callable[..., Probe], str]:
    """(probe function, its executable): ffprobe (beside ``ffmpeg`` or on PATH) when there
    is one, for its exact JSON; else ffmpeg's stderr report, since imageio-ffmpeg ships
    without ffprobe."""
    exe = find_ffmpeg(ffmpeg)
    ffprobe = find_ffprobe(exe)
    if ffprobe:
        return probe_with_ffprobe, ffprobe
    return probe_with_ffmpeg, exe


def _probe_output(
    args: list[str], path: str | Path, timeout: float | None
) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise _not_a_video(path, f"reading it took longer than {timeout:.0f} s") from None
    except OSError as exc:
        raise FfmpegError(f"{args[0]} could not be started: {exc.strerror or exc}") from None


def _not_a_video(path: str | Path, reason: str) -> FfmpegError:
    return FfmpegError(f"{path} is not a video ffmpeg can read: {reason}")


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def probe_with_ffprobe(
    path: str | Path, ffprobe: str, *, timeout: float | None = None, input_args: Args = None
) -> Probe:
    """Probe with ffprobe's JSON output (exact, and immune to report-format changes)."""
    result = _probe_output(
        [
            ffprobe,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            *(input_args or ()),
            str(path),
        ],
        path,
        timeout,
    )
    if result.returncode != 0:
        raise _not_a_video(path, last_line(result.stderr))
    try:
        data = safe_json.loads(result.stdout or "{}")
    except ValueError as exc:
        raise _not_a_video(path, f"ffprobe printed unreadable JSON ({exc})") from exc
    streams = data.get("streams", [])
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    if not videos:
        raise _not_a_video(path, "it has no video stream")
    video = videos[0]
    duration = to_float(data.get("format", {}).get("duration")) or to_float(video.get("duration"))
    rotation = 0.0
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            rotation = float(side["rotation"])
    if not rotation and "rotate" in video.get("tags", {}):
        # Legacy tag is clockwise; the display matrix is counter-clockwise.
        rotation = -float(video["tags"]["rotate"])
    others = [s for s in streams if s is not video]
    return Probe(
        duration=duration,
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        rotation=_normalise_rotation(rotation),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        tags=_tag_pairs([data.get("format", {}), video, *others]),
    )


def _tag_pairs(sections: list[dict]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for section in sections:
        tags = section.get("tags") if isinstance(section, dict) else None
        if isinstance(tags, dict):
            pairs.extend((str(k), str(v)) for k, v in tags.items())
    return tuple(pairs)


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(
    r"^\s*Stream #\d+:\d+.*?:\s*(Video|Audio|Subtitle|Data|Attachment):", re.MULTILINE
)
# The frame size follows a comma ("yuv420p(tv), 640x360 [SAR ..."); anchoring on
# the comma keeps codec tags such as "(avc1 / 0x31637661)" from matching.
_SIZE = re.compile(r",\s*(\d{2,5})x(\d{2,5})\b")
# ffmpeg 5/6 print "displaymatrix: rotation of -90.00 degrees"; 7+ print
# "Display Matrix: rotation of 90.00 degrees".
_DISPLAYMATRIX = re.compile(
    r"display ?matrix:\s*rotation of\s*(-?\d+(?:\.\d+)?)\s*degrees", re.IGNORECASE
)
_ROTATE_TAG = re.compile(r"^\s*rotate\s*:\s*(-?\d+)", re.MULTILINE)


def probe_with_ffmpeg(
    path: str | Path, ffmpeg: str, *, timeout: float | None = None, input_args: Args = None
) -> Probe:
    """Probe by parsing the stream report ``ffmpeg -i`` prints on stderr.

    ffmpeg exits non-zero here even for good files (no output was given), so
    success is judged by finding a video stream, not by the exit code.
    """
    result = _probe_output(
        [ffmpeg, "-hide_banner", "-nostdin", *(input_args or ()), "-i", str(path)],
        path,
        timeout,
    )
    report = result.stderr
    # Split the report into per-stream sections so that the rotation found
    # belongs to the video stream, not to a later one.
    marks = list(_STREAM.finditer(report))
    video_section = None
    has_audio = False
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(report)
        section = report[mark.start() : end]
        first_line = section.splitlines()[0]
        if mark.group(1) == "Audio":
            has_audio = True
        elif (
            mark.group(1) == "Video" and video_section is None and "attached pic" not in first_line
        ):
            video_section = section
    if video_section is None:
        lines = [
            line
            for line in report.splitlines()
            if line.strip() and "At least one output file must be specified" not in line
        ]
        reason = "it has no video stream" if marks else last_line("\n".join(lines))
        raise _not_a_video(path, reason)
    size = _SIZE.search(video_section.splitlines()[0])
    if not size:
        raise _not_a_video(path, "ffmpeg reported no frame size for its video stream")
    duration_match = _DURATION.search(report)
    duration = 0.0
    if duration_match:
        hours, minutes, seconds = duration_match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    rotation = 0.0
    if matrix := _DISPLAYMATRIX.search(video_section):
        rotation = float(matrix.group(1))
    elif tag := _ROTATE_TAG.search(video_section):
        rotation = -float(tag.group(1))
    header = report[: marks[0].start()] if marks else report
    return Probe(
        duration=duration,
        width=int(size.group(1)),
        height=int(size.group(2)),
        rotation=_normalise_rotation(rotation),
        has_audio=has_audio,
        tags=_report_metadata(header) + _report_metadata(video_section),
    )


def _report_metadata(section: str) -> tuple[tuple[str, str], ...]:
    """The `key : value` lines of the "Metadata:" blocks in a part of ffmpeg's report."""
    pairs = []
    block_indent = None
    for line in section.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() == "Metadata:":
            block_indent = indent
            continue
        if block_indent is None:
            continue
        if indent <= block_indent:
            block_indent = None
            continue
        key, colon, value = line.strip().partition(":")
        if colon and key.strip():
            pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def to_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _normalise_rotation(degrees: float) -> int:
    """Snap to the nearest quarter turn in 0..270 (matrices carry float noise)."""
    return round(degrees / 90.0) % 4 * 90
