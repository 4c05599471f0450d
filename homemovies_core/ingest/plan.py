"""What will be made of each input, checked before anything is written, and the plan text
that `--dry_run` prints."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..encode import Rung, plan_ladder, subtitle_files
from ..ffmpeg import Probe, probe
from ..library import HLS_SUFFIX
from ..recorded import Recorded, recorded
from ..recorded import describe as describe_recorded
from .cli import IngestError, Options, check_name


@dataclass(frozen=True)
class Job:
    """One input and where it goes."""

    source: Path
    folder: str
    name: str
    probe: Probe
    ladder: tuple[Rung, ...]
    subtitles: tuple[Path, ...]
    recorded: Recorded | None = None  # from the video's tags, else the file's modified time
    # Keep the source inside the movie under this name ("original.mp4"), with its SHA-256
    # in info.json; None: the source is not kept (the command line's default).
    original: str | None = None
    sha256: str | None = None

    @property
    def key(self) -> str:
        """The movie's prefix in the library: `Folder/Name.hls/` (`Name.hls/` in Unsorted,
        the library's top level, whose folder is "")."""
        folder = f"{self.folder}/" if self.folder else ""
        return f"{folder}{self.name}{HLS_SUFFIX}/"


def plan_jobs(options: Options, ffmpeg: str) -> list[Job]:
    """Probe every input first, so a bad one stops the run before anything is written."""
    jobs = [_job(source, options, ffmpeg) for source in options.inputs]
    seen: dict[str, Path] = {}
    for job in jobs:
        if job.key in seen:
            raise IngestError(
                f"{seen[job.key]} and {job.source} would both become '{job.key}'; "
                "ingest them one at a time with different --name values."
            )
        seen[job.key] = job.source
    return jobs


def _job(source: Path, options: Options, ffmpeg: str) -> Job:
    if not source.is_file():
        raise IngestError(f"The input {source} does not exist or is not a file.")
    if not os.access(source, os.R_OK):
        raise IngestError(f"The input {source} cannot be read by this user.")
    info = probe(source, ffmpeg)
    return Job(
        source=source,
        folder=options.folder,
        name=options.name or check_name(source.stem, f"The file name of {source}"),
        probe=info,
        ladder=tuple(plan_ladder(info, options.heights)),
        subtitles=tuple(subtitle_files(source)),
        recorded=recorded(info.tags, source.stat().st_mtime),
    )


def rung_width(job: Job, rung: Rung) -> int:
    """The width ffmpeg's `scale=w=-2` gives: aspect kept, rounded to even."""
    shown = job.probe
    if not shown.display_height:
        return 0
    return max(2, round(shown.display_width * rung.height / shown.display_height / 2) * 2)


def estimate(job: Job, segment_seconds: int) -> tuple[int, int]:
    """(files, bytes) the movie will have, roughly."""
    segments = max(1, math.ceil(job.probe.duration / segment_seconds))
    files = len(job.ladder) * (segments + 1) + 2 + len(job.subtitles)  # + master, poster
    size = sum(r.bandwidth for r in job.ladder) * job.probe.duration / 8
    return files, int(size)


def describe(job: Job, options: Options, destination: str, state: str) -> str:
    info = job.probe
    files, size = estimate(job, options.segment_seconds)
    rungs = "; ".join(
        f"{rung_width(job, r)}x{r.height} at {r.video_kbps}+{r.audio_kbps} kbit/s"
        for r in job.ladder
    )
    rotated = (
        f" (stored {info.width}x{info.height}, rotated {info.rotation}°)" if info.rotation else ""
    )
    audio = "with" if info.has_audio else "no"
    subtitles = f" and {len(job.subtitles)} subtitle file(s)" if job.subtitles else ""
    return "\n".join(
        [
            f"{job.source}",
            f"  source:      {info.display_width}x{info.display_height}{rotated}, "
            f"{info.duration:.1f} s, {audio} audio",
            f"  recorded:    {describe_recorded(job.recorded) if job.recorded else 'unknown'}",
            f"  renditions:  {rungs}",
            f"  encoding:    libx264 {options.preset}, {options.segment_seconds} s segments",
            f"  destination: '{job.key}' in {destination} ({state})",
            f"  files:       about {files} ({megabytes(size)}), with poster.jpg{subtitles}",
        ]
    )


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
