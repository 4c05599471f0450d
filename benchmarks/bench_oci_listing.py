"""OCI calls and wall time: our folder listing and PAR reuse vs. the original app's algorithm.

    python benchmarks/bench_oci_listing.py

A virtual bucket on the fake OCI server (tests/fake_oci), reached through the real `oci`
SDK: 20 folders, 200 HLS movies × 1,800 segments and 1,000 MP4s (≈ 361,000 objects).

- Folder page: ours lists the root and one folder with `delimiter="/"` through the
  Catalog (cold: empty cache; warm: same cache again). The REFERENCE reimplements the
  original flask-homemovies algorithm: list the whole bucket on every view.
- Playback: 100 views of one HLS movie by 20 concurrent sessions. Ours goes through
  PlaybackUrls (one shared cache); the REFERENCE does what the original did per view:
  list all PARs, delete the expired ones, create a new bucket-wide PAR.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import oci

from homemovies_core import library
from homemovies_core import settings as settings_mod
from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.oci.storage import OciStorage
from homemovies_core.pars import PlaybackUrls
from homemovies_core.storage.base import Listing, ObjectInfo
from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config

NS, BUCKET = "fakens", "family"
FOLDERS, HLS_MOVIES, SEGMENTS, MP4S = 20, 200, 1800, 1000
PAGE_FOLDER = "Folder 07/"
VIEWS, SESSIONS = 100, 20


def entries():
    for m in range(HLS_MOVIES):
        base = f"Folder {m % FOLDERS:02d}/Movie {m:03d}.hls/"
        yield base + "output.m3u8", 400
        yield base + "poster.jpg", 20_000
        for s in range(SEGMENTS):
            yield base + f"seg{s:05d}.ts", 1_000_000
    for i in range(MP4S):
        yield f"Folder {i % FOLDERS:02d}/Clip {i:04d}.mp4", 50_000_000


def oci_calls(model: FakeOCIModel, before) -> int:
    now = model.counts
    return sum(now.values()) - sum(before.values())


# -- ours --------------------------------------------------------------------------------
def our_folder_page(catalog: Catalog) -> int:
    """What the library page needs: the folder list (root listing) and one folder's videos."""
    root, _stale, _error = catalog.listing("")
    library.folders_in(root)
    return len(catalog.folder_view(PAGE_FOLDER).videos)


def our_views(storage: OciStorage, video_key: str) -> None:
    urls = PlaybackUrls(storage, LocalCache(), ttl_seconds=6 * 3600, min_remaining_seconds=3 * 3600)
    with ThreadPoolExecutor(SESSIONS) as pool:
        list(pool.map(lambda _: urls.grant(video_key, prefix=True), range(VIEWS)))


# -- the reference: the original app's algorithm -----------------------------------------
def reference_folder_page(client) -> int:
    """List every object in the bucket (every HLS segment), then pick one folder's videos."""
    names: list[ObjectInfo] = []
    start = None
    while True:
        page = client.list_objects(NS, BUCKET, fields="name,size,timeCreated", start=start).data
        names += [ObjectInfo(o.name, o.size) for o in page.objects]
        start = page.next_start_with
        if not start:
            break
    inside = [o for o in names if o.name.startswith(PAGE_FOLDER)]
    files = tuple(o for o in inside if "/" not in o.name[len(PAGE_FOLDER) :])
    hls = sorted(
        {
            PAGE_FOLDER + o.name[len(PAGE_FOLDER) :].split("/")[0] + "/"
            for o in inside
            if o.name.endswith("/output.m3u8")
        }
    )
    return len(library.videos_in(PAGE_FOLDER, Listing(files, tuple(ObjectInfo(p) for p in hls))))


def reference_view(client) -> None:
    now = datetime.now(UTC)
    pars = oci.pagination.list_call_get_all_results(
        client.list_preauthenticated_requests, NS, BUCKET
    ).data
    for par in pars:
        if par.time_expires < now:
            client.delete_preauthenticated_request(NS, BUCKET, par.id)
    details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
        name="homemovies", access_type="AnyObjectRead", time_expires=now + timedelta(hours=2)
    )
    client.create_preauthenticated_request(NS, BUCKET, details)


def timed(fn, *args):
    began = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - began


def main() -> None:
    model = FakeOCIModel(namespace=NS)
    print("Building the virtual bucket …", file=sys.stderr)
    model.add_virtual_bucket(BUCKET, entries())
    total = len(model.object_names(BUCKET))
    with tempfile.TemporaryDirectory() as tmp, start_fake_oci(model) as server:
        config = write_oci_config(tmp)
        settings = settings_mod.load(
            ["--bucket", BUCKET, "--os_endpoint", server.endpoint, "--oci_config", str(config)],
            env={},
            secrets_files=(),
        )
        storage = OciStorage.from_settings(settings)
        client = oci.object_storage.ObjectStorageClient(
            oci.config.from_file(str(config)), service_endpoint=server.endpoint
        )
        rows = []

        catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False)
        for label in ("cold", "warm"):
            before = model.counts
            videos, seconds = timed(our_folder_page, catalog)
            rows.append(
                (
                    f"folder page, {label}",
                    "ours",
                    oci_calls(model, before),
                    seconds,
                    f"{videos} videos",
                )
            )
        for label in ("cold", "warm"):
            before = model.counts
            videos, seconds = timed(reference_folder_page, client)
            rows.append(
                (
                    f"folder page, {label}",
                    "REFERENCE (original)",
                    oci_calls(model, before),
                    seconds,
                    f"{videos} videos",
                )
            )

        movie = f"{PAGE_FOLDER}Movie 007.hls/"
        before = model.counts
        _, seconds = timed(our_views, storage, movie)
        created = (
            model.counts["CreatePreauthenticatedRequest"] - before["CreatePreauthenticatedRequest"]
        )
        rows.append(
            (
                f"{VIEWS} views / {SESSIONS} sessions",
                "ours",
                oci_calls(model, before),
                seconds,
                f"{created} PAR created",
            )
        )
        before = model.counts
        with ThreadPoolExecutor(SESSIONS) as pool:
            _, seconds = timed(
                lambda: list(pool.map(lambda _: reference_view(client), range(VIEWS)))
            )
        created = (
            model.counts["CreatePreauthenticatedRequest"] - before["CreatePreauthenticatedRequest"]
        )
        rows.append(
            (
                f"{VIEWS} views / {SESSIONS} sessions",
                "REFERENCE (original)",
                oci_calls(model, before),
                seconds,
                f"{created} PARs created",
            )
        )

    print(
        f"\nVirtual bucket: {total:,} objects ({FOLDERS} folders, {HLS_MOVIES} HLS × "
        f"{SEGMENTS:,} segments, {MP4S:,} MP4s); fake OCI on loopback, real oci SDK.\n"
    )
    print("| scenario | algorithm | OCI calls | wall time | result |")
    print("|---|---|---:|---:|---|")
    for scenario, algorithm, calls, seconds, result in rows:
        print(f"| {scenario} | {algorithm} | {calls:,} | {seconds * 1000:,.0f} ms | {result} |")
    ours_cold, ref_cold = rows[0][2], rows[2][2]
    print(
        f"\nCold folder page: {ref_cold / max(1, ours_cold):,.0f}× fewer OCI calls than the "
        "reference."
    )


if __name__ == "__main__":
    main()
