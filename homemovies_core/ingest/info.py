"""What a movie knows about itself: `info.json` inside its `.hls/` folder (when it was
recorded and where that date came from, its duration and picture size, the renditions
made), and the same facts in its folder's index, so the app shows them at once.

The info file is written when the movie is published (not when it is encoded), so an
encode cached by an older run still gets one.
"""

from __future__ import annotations

from pathlib import Path

from .. import recorded
from ..index.folder import record_movie
from ..index.formats import INFO_NAME, MovieInfo, Rendition, VideoFacts, encode_info
from ..storage.base import Storage, StorageError
from .console import Progress
from .plan import Job, rung_width


def movie_info(job: Job) -> MovieInfo:
    shown = job.probe
    facts = VideoFacts.of(job.recorded, shown.duration, shown.display_width, shown.display_height)
    renditions = tuple(
        Rendition(rung_width(job, r), r.height, r.video_kbps, r.audio_kbps) for r in job.ladder
    )
    return MovieInfo(facts, renditions, job.original, job.sha256)


def write_info(job: Job, out_dir: Path) -> None:
    (out_dir / INFO_NAME).write_bytes(encode_info(movie_info(job)))


def recorded_line(job: Job) -> str:
    """ "  recorded 14 Jul 2023 16:02 (+02:00), from the QuickTime creation date." """
    if job.recorded is None:
        return "  recorded: unknown."
    return f"  recorded {recorded.describe(job.recorded)}."


def record_in_folder_index(storage: Storage, job: Job, ui: Progress) -> None:
    """Best effort: the movie is in the library either way, and `index` puts it into the
    folder's index later if this fails."""
    try:
        folder = job.folder + "/" if job.folder else ""
        name = job.key[len(folder) :]
        record_movie(storage, folder, name, movie_info(job).facts, job.sha256)
    except StorageError as exc:
        ui.say(
            f"The folder's index was not updated ({exc}); `python -m homemovies_core "
            "index` adds the movie to it."
        )
