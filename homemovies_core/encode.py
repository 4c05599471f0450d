"""Converting a video into an HLS folder: adaptive ladder, poster and subtitles.

The output is exactly what the library expects of a ``Name.hls/`` folder:
``output.m3u8`` (master playlist), ``v0/index.m3u8``, ``v1/index.m3u8`` ...
with their ``.ts`` segments, and ``poster.jpg``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import m3u8

from .ffmpeg import FfmpegError, Probe, find_ffmpeg, probe
from .ffmpeg_run import run_with_progress
from .library import HLS_PLAYLIST, subtitle_for

__all__ = [
    "DEFAULT_LADDER",
    "Rung",
    "copy_subtitles",
    "encode_hls",
    "make_poster",
    "plan_ladder",
    "subtitle_files",
]


@dataclass(frozen=True)
class Rung:
    """One rendition of the ladder: output height and target bitrates."""

    height: int
    video_kbps: int
    audio_kbps: int

    @property
    def bandwidth(self) -> int:
        """Peak bits per second, as announced in the master playlist."""
        return (self.video_kbps + self.audio_kbps) * 1000


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung(2160, 14000, 128),
    Rung(1440, 8000, 128),
    Rung(1080, 5000, 128),
    Rung(720, 2800, 128),
    Rung(480, 1200, 96),
    Rung(360, 800, 96),
    Rung(240, 400, 96),
)
"""H.264 ladder (main profile), close to Apple's HLS authoring guidance.

======  ===========  ==========
height  video kbit/s  audio kbit/s
======  ===========  ==========
2160    14000        128
1440     8000        128
1080     5000        128
 720     2800        128
 480     1200         96
 360      800         96
 240      400         96
======  ===========  ==========

Home movies are mostly handheld phone footage, so these are peak (``-maxrate``)
values generous enough for shaky, grainy scenes; ``-b:v`` is the same figure.
"""

_LADDER_BY_HEIGHT = {rung.height: rung for rung in DEFAULT_LADDER}


def _rung_for(height: int) -> Rung:
    """A rung for any height: the default one if listed, else the nearest lower default's rates."""
    if height in _LADDER_BY_HEIGHT:
        return _LADDER_BY_HEIGHT[height]
    lower = [r for r in DEFAULT_LADDER if r.height <= height]
    template = max(lower, key=lambda r: r.height) if lower else DEFAULT_LADDER[-1]
    if not lower:
        # Below 240 lines: scale the bitrate down with the pixel count.
        scaled = max(100, int(template.video_kbps * (height / template.height) ** 2))
        return Rung(height, scaled, template.audio_kbps)
    return Rung(height, template.video_kbps, template.audio_kbps)


def plan_ladder(source: Probe, heights: Sequence[int]) -> list[Rung]:
    """Pick the rungs to encode for ``source``, highest first.

    Never upscale: only heights at or below the source's display height (what
    the viewer sees after rotation). A source smaller than every requested
    height still gets one rung, at its own height rounded down to even (H.264
    with 4:2:0 chroma needs even dimensions).
    """
    limit = source.display_height
    chosen = sorted({h for h in heights if 0 < h <= limit}, reverse=True)
    if not chosen:
        own = limit - limit % 2
        if own < 2:
            raise FfmpegError("the source video has no usable frame size")
        chosen = [own]
    return [_rung_for(h) for h in chosen]


def encode_hls(
    source: Path,
    out_dir: Path,
    ladder: Sequence[Rung],
    *,
    segment_seconds: int = 4,
    preset: str = "veryfast",
    ffmpeg: str | None = None,
    on_progress: Callable[[float], None] | None = None,
    source_probe: Probe | None = None,
) -> None:
    """Encode ``source`` into an HLS folder at ``out_dir`` with one ffmpeg run.

    One run decodes the source once and feeds every rendition through
    ``split``; keyframes are forced on segment boundaries in every rendition,
    so segments line up and players can switch rendition at any boundary.
    ``source_probe`` is the caller's probe of ``source``, if it has one: the
    ladder was planned from it, and probing again would only read the file twice.
    """
    if not ladder:
        raise ValueError("the ladder needs at least one rung")
    exe = find_ffmpeg(ffmpeg)
    info = source_probe if source_probe is not None else probe(source, exe)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
    args += _video_args(ladder, preset, segment_seconds)
    if info.has_audio:
        args += _audio_args(ladder)
    args += _hls_args(out_dir, len(ladder), info.has_audio, segment_seconds)
    run_with_progress(args, info.duration, on_progress)
    _ensure_master_attributes(out_dir, ladder, exe)


def _video_args(ladder: Sequence[Rung], preset: str, segment_seconds: int) -> list[str]:
    """One scaled H.264 rendition per rung, split from one decode."""
    count = len(ladder)
    # ffmpeg autorotates decoded frames before the filter graph, so scaling to
    # a height with width -2 keeps a portrait video portrait and even-sized.
    graph = f"[0:v:0]split={count}" + "".join(f"[s{i}]" for i in range(count)) + ";"
    graph += ";".join(f"[s{i}]scale=w=-2:h={rung.height}[v{i}]" for i, rung in enumerate(ladder))
    args = ["-filter_complex", graph]
    for i in range(count):
        args += ["-map", f"[v{i}]"]
    args += [
        "-c:v", "libx264",
        "-preset", preset,
        "-profile:v", "main",
        "-pix_fmt", "yuv420p",
        # Keyframes exactly on segment boundaries; no extra ones on scene cuts,
        # and -g as a ceiling (60 fps x segment) so x264 adds none in between.
        "-force_key_frames", f"expr:gte(t,n_forced*{segment_seconds})",
        "-sc_threshold", "0",
        "-g", str(60 * segment_seconds),
    ]  # fmt: skip
    for i, rung in enumerate(ladder):
        args += [
            f"-b:v:{i}", f"{rung.video_kbps}k",
            f"-maxrate:v:{i}", f"{rung.video_kbps}k",
            f"-bufsize:v:{i}", f"{rung.video_kbps * 2}k",
        ]  # fmt: skip
    return args


def _audio_args(ladder: Sequence[Rung]) -> list[str]:
    # Stereo at 48 kHz plays everywhere; 5.1 phone audio would not.
    args = ["-map", "0:a:0"] * len(ladder) + ["-c:a", "aac", "-ac", "2", "-ar", "48000"]
    for i, rung in enumerate(ladder):
        args += [f"-b:a:{i}", f"{rung.audio_kbps}k"]
    return args


def _hls_args(out_dir: Path, count: int, has_audio: bool, segment_seconds: int) -> list[str]:
    pairs = (f"v:{i},a:{i}" if has_audio else f"v:{i}" for i in range(count))
    return [
        "-f", "hls",
        "-hls_time", str(segment_seconds),
        "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", str(out_dir / "v%v" / "seg%05d.ts"),
        "-master_pl_name", HLS_PLAYLIST,
        "-var_stream_map", " ".join(pairs),
        str(out_dir / "v%v" / "index.m3u8"),
    ]  # fmt: skip


def _ensure_master_attributes(
    out_dir: Path, ladder: Sequence[Rung], ffmpeg: str | None = None
) -> None:
    """Make sure every variant announces BANDWIDTH and RESOLUTION.

    Recent ffmpeg writes both, but some builds omit RESOLUTION; players use it
    to pick a rendition for the screen, so fill it in from the segments' size.
    ``ffmpeg`` is the one that encoded them: the segments are probed with it (and
    the ffprobe beside it), not with whichever ffmpeg would be found by default.
    """
    master_path = out_dir / HLS_PLAYLIST
    if not master_path.is_file():
        raise FfmpegError(f"ffmpeg wrote no master playlist at {master_path}")
    master = m3u8.load(str(master_path))
    changed = False
    for index, variant in enumerate(master.playlists):
        info = variant.stream_info
        if not info.bandwidth:
            info.bandwidth = ladder[min(index, len(ladder) - 1)].bandwidth
            changed = True
        if not info.resolution:
            first_segment = min((out_dir / Path(variant.uri).parent).glob("*.ts"))
            size = probe(first_segment, ffmpeg)
            info.resolution = (size.display_width, size.display_height)
            changed = True
    if changed:
        master_path.write_text(master.dumps(), encoding="utf-8")


def make_poster(source: Path, out_file: Path, probe: Probe, ffmpeg: str | None = None) -> None:
    """Write a representative, non-black JPEG frame of ``source`` (at most 640 wide).

    The ``thumbnail`` filter picks the most typical frame of a short window;
    the window starts at 10% of the video to skip fade-ins and lens-cap
    openings. If that frame is still nearly black, later windows are tried and
    the brightest result is kept.
    """
    exe = find_ffmpeg(ffmpeg)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    duration = probe.duration
    best: tuple[float, bytes] | None = None
    for share in (0.10, 0.35, 0.60):
        start = duration * share if duration > 0 else 0.0
        # 50 frames (~2 s) is enough for a typical frame and cheap to decode.
        window = min(3.0, max(duration - start, 0.5)) if duration > 0 else 3.0
        attempt = out_file.with_name(out_file.stem + ".tmp.jpg")
        args = [
            exe, "-hide_banner", "-loglevel", "error", "-y",
            "-ss", f"{start:.3f}", "-t", f"{window:.3f}", "-i", str(source),
            "-vf", "thumbnail=50,scale=w='min(640,iw)':h=-2",
            "-frames:v", "1", "-q:v", "4", "-update", "1", str(attempt),
        ]  # fmt: skip
        run_with_progress(args, 0.0, None)
        if not attempt.is_file():
            continue
        data = attempt.read_bytes()
        attempt.unlink()
        brightness = _mean_brightness(data)
        if best is None or brightness > best[0]:
            best = (brightness, data)
        if brightness >= 40:
            break
    if best is None:
        raise FfmpegError(f"ffmpeg produced no poster frame for {source}")
    out_file.write_bytes(best[1])


def _mean_brightness(jpeg: bytes) -> float:
    """Mean luma 0..255 of a JPEG; Pillow is optional, and without it any frame is accepted."""
    try:
        import io

        from PIL import Image, ImageStat
    except ImportError:
        return 255.0
    with Image.open(io.BytesIO(jpeg)) as image:
        return float(ImageStat.Stat(image.convert("L")).mean[0])


def subtitle_files(source: Path) -> list[Path]:
    """The subtitle sidecars of ``source`` by the library's own rule (``library.subtitle_for``):
    ``Movie.vtt`` and ``Movie.<language>.vtt`` beside ``Movie.mp4``."""
    # Names compared as text rather than globbed: names may contain [ ] * ?.
    return [
        candidate
        for candidate in sorted(source.parent.iterdir())
        if subtitle_for(candidate.name, source.stem) is not None and candidate.is_file()
    ]


def copy_subtitles(source: Path, out_dir: Path) -> list[Path]:
    """Copy the subtitle sidecars of ``source`` into ``out_dir``, keeping their file names
    (and so the language suffix the library reads)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for sidecar in subtitle_files(source):
        target = out_dir / sidecar.name
        shutil.copyfile(sidecar, target)
        copied.append(target)
    return copied
