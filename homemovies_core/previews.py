"""Seek previews: thumbnail tiles every few seconds, on sprite sheets, with a WebVTT index.

An `.hls/` folder gets `thumbs-0001.jpg`, `thumbs-0002.jpg` … (up to 10x10 tiles each) and
`thumbnails.vtt`, whose cues name a tile by its sheet and rectangle:

    00:00:04.000 --> 00:00:06.000
    thumbs-0001.jpg#xywh=320,0,160,90

The sheet names are relative, so they resolve against the VTT's own URL: the folder's
prefix-scoped playback URL serves them with no grant of their own. The player reads the
file itself (player.js) and shows the tile above its seek bar.

ffmpeg picks one frame per interval (`select`) and scales it; Pillow lays the tiles out.
Tiling in ffmpeg (`fps=1/N,tile=CxR`) was tried first: `fps` leaves out the last interval
for some durations and `tile` pads the last sheet with black, so the index could not know
how many tiles there really are. Counted frames make every cue point at a real picture.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .ffmpeg import FfmpegError, Probe, find_ffmpeg
from .ffmpeg_run import run_with_progress
from .library import HLS_THUMBNAILS

__all__ = ["Cue", "Layout", "interval_for", "make_previews", "plan_cues", "tile_size", "vtt_text"]

SHEET_NAME = "thumbs-{:04d}.jpg"
LONG_SIDE = 160  # a tile's longer side in pixels: 160x90 for 16:9, 90x160 for a phone's portrait
COLUMNS = ROWS = 10  # 100 tiles a sheet: 1600x900 for 16:9, one request per ~100 intervals
MIN_INTERVAL, MAX_INTERVAL = 2, 10  # seconds between tiles: ~100 tiles for most movies
MAX_TILES = 5000  # past ~14 hours, tiles grow sparser rather than the index longer
JPEG_QUALITY = 75


@dataclass(frozen=True)
class Layout:
    """How tiles sit on sheets: row by row, `columns` x `rows` to a sheet."""

    tile_width: int
    tile_height: int
    columns: int = COLUMNS
    rows: int = ROWS

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def place(self, index: int) -> tuple[str, int, int]:
        """(sheet file name, x, y) of the tile with this 0-based index."""
        sheet, cell = divmod(index, self.per_sheet)
        row, column = divmod(cell, self.columns)
        return SHEET_NAME.format(sheet + 1), column * self.tile_width, row * self.tile_height

    def sheet_size(self, tiles: int) -> tuple[int, int]:
        """Pixel size of a sheet holding `tiles` tiles: a last, partial sheet is only as wide
        and as tall as the tiles on it."""
        columns = min(tiles, self.columns)
        rows = math.ceil(tiles / self.columns)
        return columns * self.tile_width, rows * self.tile_height


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    sheet: str
    x: int
    y: int
    width: int
    height: int

    @property
    def payload(self) -> str:
        return f"{self.sheet}#xywh={self.x},{self.y},{self.width},{self.height}"


def interval_for(duration: float) -> int:
    """Seconds between tiles: about a hundred tiles a movie, every 2 to 10 seconds."""
    interval = min(MAX_INTERVAL, max(MIN_INTERVAL, round(duration / 100)))
    return max(interval, math.ceil(duration / MAX_TILES))


def tile_size(probe: Probe, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """A tile's (width, height): the picture as the viewer sees it (rotation applied),
    its longer side `long_side`, both sides even."""
    width, height = probe.display_width, probe.display_height
    if width < 2 or height < 2:
        raise FfmpegError("the source video has no usable frame size")
    scale = long_side / max(width, height)
    return _even(width * scale), _even(height * scale)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def plan_cues(tiles: int, interval: float, duration: float, layout: Layout) -> list[Cue]:
    """One cue per tile; together they cover 0 .. `duration` without gaps.

    Tile k shows the first frame at or after k x interval and stands for the interval that
    follows. The last cue ends at `duration`; a tile that starts at or after it (a video
    stream a frame longer than the container says) is left out, and when the video stream
    is shorter than the container, the last tile stands for the rest.
    """
    if duration > 0:
        tiles = min(tiles, math.ceil(duration / interval))
    cues = []
    for index in range(tiles):
        sheet, x, y = layout.place(index)
        last = index == tiles - 1
        end = duration if last and duration > 0 else (index + 1) * interval
        cues.append(Cue(index * interval, end, sheet, x, y, layout.tile_width, layout.tile_height))
    return cues


def vtt_text(cues: Sequence[Cue]) -> str:
    blocks = [f"{_timestamp(c.start)} --> {_timestamp(c.end)}\n{c.payload}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def make_previews(
    source: Path,
    out_dir: Path,
    probe: Probe,
    ffmpeg: str | None = None,
    *,
    interval: float | None = None,
    long_side: int = LONG_SIDE,
    columns: int = COLUMNS,
    rows: int = ROWS,
) -> int:
    """Write the sprite sheets and `thumbnails.vtt` of `source` into `out_dir`; returns the
    number of tiles. Raises FfmpegError when ffmpeg cannot read the source."""
    exe = find_ffmpeg(ffmpeg)
    every = interval or interval_for(probe.duration)
    width, height = tile_size(probe, long_side)
    layout = Layout(width, height, columns, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="homemovies-tiles-") as work:
        frames = _extract_frames(exe, source, Path(work), every, width, height)
        cues = plan_cues(len(frames), every, probe.duration, layout)
        if not cues:
            raise FfmpegError(f"ffmpeg produced no preview frames for {source}")
        _write_sheets(frames[: len(cues)], layout, out_dir)
    (out_dir / HLS_THUMBNAILS).write_text(vtt_text(cues), encoding="utf-8")
    return len(cues)


def _extract_frames(
    exe: str, source: Path, work: Path, interval: float, width: int, height: int
) -> list[Path]:
    """One small PNG per interval: the first frame at or after k x interval."""
    # `select` on the frame's own time keeps tile k at k x interval however long the
    # video is; `-fps_mode vfr` stops the image muxer from repeating frames to fill a rate.
    # ffmpeg turns the picture upright before the filters, so width x height is as seen.
    pick = f"select='gte(t,selected_n*{interval:g})',scale={width}:{height},setsar=1"
    run_with_progress([
        exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
        "-map", "0:v:0", "-vf", pick, "-fps_mode", "vfr", str(work / "f-%06d.png"),
    ], 0.0, None)  # fmt: skip
    return sorted(work.glob("f-*.png"))


def _write_sheets(frames: Sequence[Path], layout: Layout, out_dir: Path) -> None:
    for first in range(0, len(frames), layout.per_sheet):
        batch = frames[first : first + layout.per_sheet]
        sheet = Image.new("RGB", layout.sheet_size(len(batch)))
        for offset, frame in enumerate(batch):
            _name, x, y = layout.place(first + offset)
            with Image.open(frame) as tile:
                sheet.paste(tile.convert("RGB"), (x, y))
        name = layout.place(first)[0]
        sheet.save(out_dir / name, "JPEG", quality=JPEG_QUALITY, optimize=True)
