"""Making a movie folder: the ladder and the poster, encoded once per input and settings.

An upload keeps its encoded files in a cache in the system temp folder until it has
finished, so a resumed upload neither encodes again nor sends different bytes.
`sweep_cache` removes what killed or abandoned runs left there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..encode import encode_hls, make_poster
from ..ffmpeg import FfmpegError
from ..library import HLS_POSTER
from ..previews import make_previews
from ..staging import is_staging, staged_dir, sweep_stale
from .cli import ConversionFailed, Options
from .console import Progress
from .plan import Job

# An encode that was cut off is useless after a day; a finished one waits a week for the
# upload to be resumed (re-encoding a long movie takes a while).
PARTIAL_MAX_AGE = 24 * 3600
ENCODED_MAX_AGE = 7 * 24 * 3600


def build_movie(job: Job, out_dir: Path, options: Options, ffmpeg: str, ui: Progress) -> None:
    """Encode the ladder, then the poster, into `out_dir` (subtitles are the caller's)."""
    scale = 100.0
    with ui.bar(f"Encoding '{job.name}' ({len(job.ladder)} renditions)", scale, "%") as advance:
        done = [0.0]

        def on_progress(fraction: float) -> None:
            advance(round((fraction - done[0]) * scale, 2))
            done[0] = fraction

        try:
            encode_hls(
                job.source,
                out_dir,
                job.ladder,
                segment_seconds=options.segment_seconds,
                preset=options.preset,
                ffmpeg=ffmpeg,
                on_progress=on_progress,
                source_probe=job.probe,  # probed when planned (plan.py)
            )
            make_poster(job.source, out_dir / HLS_POSTER, job.probe, ffmpeg)
            make_previews(job.source, out_dir, job.probe, ffmpeg)  # seek previews: sprites + VTT
        except FfmpegError as exc:
            raise ConversionFailed(
                f"Converting {job.source} failed, so nothing was added to the library: {exc}"
            ) from None


def cache_dir() -> Path:
    """This user's encode cache (private: 0700)."""
    base = Path(tempfile.gettempdir()) / f"homemovies-ingest-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    return base


def encoded_copy(job: Job, options: Options, ffmpeg: str, ui: Progress) -> Path:
    """The encoded movie in the cache, made once per (input, settings)."""
    stat = job.source.stat()
    key = json.dumps(
        [
            str(job.source.resolve()),
            stat.st_size,
            stat.st_mtime_ns,
            [(r.height, r.video_kbps, r.audio_kbps) for r in job.ladder],
            options.preset,
            options.segment_seconds,
            ffmpeg,
        ]
    )
    done = cache_dir() / hashlib.sha256(key.encode()).hexdigest()[:24]
    if not done.is_dir():
        try:
            with staged_dir(done) as staging:
                build_movie(job, staging, options, ffmpeg, ui)
            return done
        except FileExistsError:
            pass  # another run of the same command finished first: its files are as good
    ui.say(f"Using the files encoded for '{job.name}' by an earlier run ({done}).")
    os.utime(done)  # in use again: not stale for another ENCODED_MAX_AGE
    return done


def sweep_cache(now: float) -> list[Path]:
    """Remove encodes cut off more than a day ago, and finished ones whose upload was not
    resumed for a week."""
    base = cache_dir()
    removed = sweep_stale(base, PARTIAL_MAX_AGE, now)
    for entry in sorted(base.iterdir()):
        if is_staging(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue  # partial encodes were judged above, by their newest write
        if now - entry.stat().st_mtime > ENCODED_MAX_AGE:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed
