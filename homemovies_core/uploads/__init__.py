"""Adding videos from a browser: upload records, names, checks and where the bytes go.

Core (no Streamlit): `web/upload_routes.py` and `web/tus_routes.py` serve it over HTTP, and
the Add videos page (`pages/add.py`, `ui/uploader/`) drives it from the browser. The job
queue (`jobs/`) turns a finished upload into a movie.
"""

from __future__ import annotations

from ..cache import Cache
from ..catalog import Catalog
from ..settings import Settings
from .errors import UploadError
from .partials import PartialFiles
from .records import UploadStore
from .service import Started, Uploads
from .sweeper import Sweeper
from .targets import LocalTarget, OciTarget, Target
from .tokens import UploadTokens

__all__ = ["Started", "Sweeper", "UploadError", "Uploads", "build"]


def target_for(storage, jobs) -> Target:
    """Where the bytes go: the bucket's `.uploads/`, or the uploads folder the job queue's
    placement chose for a local library (jobs/place.py: --uploads_dir, else `.uploads` in
    the media folder: hidden, never listed, never served)."""
    if storage.kind == "oci":
        from ..oci.uploads import OciUploads  # the SDK only where the library is a bucket

        return OciTarget(OciUploads(storage))
    return LocalTarget(PartialFiles(jobs.placement.uploads))


def build(
    settings: Settings, storage, cache: Cache, catalog: Catalog, key: bytes, jobs
) -> tuple[Uploads, Sweeper]:
    """The upload service over `storage` and its sweeper (not started). `cache` should be the
    shared-only view of the Cache: upload state never splits between replicas."""
    store = UploadStore(cache)
    target = target_for(storage, jobs)
    uploads = Uploads(
        settings=settings, store=store, tokens=UploadTokens(key), catalog=catalog,
        target=target, jobs=jobs,
    )  # fmt: skip
    return uploads, Sweeper(store, target, storage.scope)
