"""Everything a worker needs to run a job, built once per process from the settings.

The same for a worker process (`python -m homemovies_core worker`) and for the worker the
app runs inside itself when there is no Redis: the library's storage (to list, read and
update folder indexes), an ingest target (to encode and publish: a local folder or the
bucket), the source of uploaded bytes, and the Cache for statuses, names and digests.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..cache import Cache
from ..ffmpeg import find_ffmpeg
from ..ingest.cli import DEFAULT_HEIGHTS, Options
from ..ingest.movie import sweep_cache
from ..ingest.targets import LocalTarget, OciTarget, Target
from ..oci.transfer import DEFAULT_WORKERS
from ..settings import Settings
from ..storage.base import Storage
from .hashes import HashIndex
from .names import NameClaims
from .place import Placement, place
from .sources import LocalSource, OciSource, Source
from .status import StatusStore


@dataclass(frozen=True)
class Runtime:
    cache: Cache
    storage: Storage  # the library as the app lists it
    placement: Placement
    target: Target  # where movies are encoded into and published (ingest/targets.py)
    source: Source  # where the uploaded bytes are (sources.py)
    statuses: StatusStore
    hashes: HashIndex
    names: NameClaims
    options: Options  # the ingest command's defaults: ladder, preset, segment length
    ffmpeg: str
    work_dir: Path  # per job: work_dir/<job id>/ (downloads from the bucket)
    max_bytes: int  # the largest upload a job takes (--max_upload_gb)

    def sweep_leftovers(self) -> list[Path]:
        """What killed workers left behind: staging folders in the library, old encodes."""
        now = time.time()
        return self.target.sweep_leftovers(now) + sweep_cache(now)


def ingest_options() -> Options:
    return Options(
        inputs=(), folder="", name=None, heights=DEFAULT_HEIGHTS, preset="veryfast",
        segment_seconds=4, dry_run=False, overwrite=False, ffmpeg=None, workers=DEFAULT_WORKERS,
    )  # fmt: skip


def build_runtime(
    settings: Settings, cache: Cache, storage: Storage, *, ffmpeg: str | None = None
) -> Runtime:
    """Raises StorageError (OCI cannot be reached), FfmpegError (no ffmpeg)."""
    placement = place(settings, storage)
    target: Target
    source: Source
    if placement.kind == "oci":
        from ..oci.client import open_bucket
        from ..oci.policy import BACKGROUND, INTERACTIVE
        from ..oci.transfer import Uploader

        bucket = open_bucket(settings, INTERACTIVE, BACKGROUND)
        target = OciTarget(Uploader(bucket), storage)  # type: ignore[arg-type]
        source = OciSource(bucket)
    else:
        target = LocalTarget(placement.library, index_storage=storage)  # type: ignore[arg-type]
        source = LocalSource(placement.uploads)  # type: ignore[arg-type]
    base = settings.uploads_dir if placement.kind == "oci" and settings.uploads_dir else None
    work = (base or Path(tempfile.gettempdir())) / "homemovies-jobs"
    work.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Runtime(
        cache=cache, storage=storage, placement=placement, target=target, source=source,
        statuses=StatusStore(cache), hashes=HashIndex(cache, storage), names=NameClaims(cache),
        options=ingest_options(), ffmpeg=find_ffmpeg(ffmpeg), work_dir=work,
        max_bytes=int(settings.max_upload_gb * 1_000_000_000),
    )  # fmt: skip
