"""Library page and Timeline script time (AppTest), cold and warm cache.

Run: .venv/bin/python benchmarks/bench_library_page.py [--videos 1000] [--runs 5] [--no_timeline]

1. A local folder of 1,000 videos: cold = a fresh process-wide cache (the folder is listed
   and classified), warm = the same page again (from the cache). Target: warm <= 0.3 s.
2. The Timeline over the virtual 361,000-object OCI bucket of bench_oci_listing.py (20
   folders, 1,200 videos), each folder with its `.homemovies.json` index of recorded dates,
   through the real SDK and the fake OCI server: the first view lists the folders (and reads
   their indexes) in the background; warm views must cost no storage call at all.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datetime import UTC, datetime

from PIL import Image
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from homemovies_core import services, settings
from homemovies_core.ui import auth
from homemovies_core.ui.state import SESSION
from tests.support.accounts import COOKIE_KEY


def make_folder(root: Path, count: int) -> None:
    folder = root / "Big folder"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.effect_noise((320, 180), 64).convert("RGB").save(buffer, "JPEG", quality=80)
    poster = buffer.getvalue()
    for i in range(count):
        name = f"Clip {i:04d} #{i % 7} café"
        (folder / f"{name}.mp4").write_bytes(b"\0" * 1024)
        if i % 2 == 0:
            (folder / f"{name}.jpg").write_bytes(poster)
    for i in range(count // 20):  # some HLS movies too
        (folder / f"Movie {i:03d}.hls").mkdir()
        (folder / f"Movie {i:03d}.hls" / "output.m3u8").write_text("#EXTM3U\n")


def page_run_seconds(at: AppTest) -> float:
    start = time.perf_counter()
    at.run(timeout=120)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no_timeline", action="store_true", help="skip the timeline over the virtual OCI bucket"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_folder(Path(tmp), args.videos)
        cold, warm = [], []
        for _ in range(args.runs):
            svc = services.build(
                settings.load(["--media_dir", tmp, "--username", "u", "--password", "p"], {}, []),
                announce=lambda _m: None,
            )
            services.install(svc)
            at = logged_in_page(svc, "Home.py")
            at.query_params["folder"] = "Big folder"
            cold.append(page_run_seconds(at))
            warm.append(page_run_seconds(at))
    cm, wm = statistics.median(cold), statistics.median(warm)
    print(
        f"Library page, one folder of {args.videos} videos (+{args.videos // 20} HLS), "
        f"AppTest script time, median of {args.runs}"
    )
    print(f"{'case':<8}{'median s':>10}{'min s':>9}{'max s':>9}  target")
    print(f"{'cold':<8}{cm:>10.3f}{min(cold):>9.3f}{max(cold):>9.3f}")
    print(
        f"{'warm':<8}{wm:>10.3f}{min(warm):>9.3f}{max(warm):>9.3f}  <= 0.300 "
        f"({'met' if wm <= 0.3 else 'MISSED'})"
    )
    print(f"warm/cold ratio: {wm / cm:.2f}")
    if not args.no_timeline:
        timeline_case(args.runs)


def logged_in_page(svc, script: str) -> AppTest:
    PagesManager.uses_pages_directory = False  # as Home.py says at start-up
    at = AppTest.from_file(str(ROOT / script), default_timeout=120)
    at.session_state[SESSION] = auth.store(svc).start(
        "u", device="benchmark", address="192.0.2.1", via="password"
    )
    return at


def bucket_with_indexes(model, storage) -> int:
    """The virtual bucket, and one `.homemovies.json` per folder giving every video a
    recorded date (as `python -m homemovies_core index` would have written it)."""
    from benchmarks.bench_oci_listing import BUCKET, FOLDERS
    from homemovies_core.index.formats import INDEX_NAME, IndexEntry, VideoFacts, encode_index

    indexed = 0
    for f in range(FOLDERS):
        prefix = f"Folder {f:02d}/"
        listing = storage.list_level(prefix)
        found = {}
        for n, obj in enumerate([*listing.objects, *listing.prefixes]):
            leaf = obj.name[len(prefix) :]
            if not (leaf.endswith(".mp4") or leaf.endswith(".hls/")):
                continue
            when = datetime(2005 + n % 20, 1 + n % 12, 1 + n % 28, 12, tzinfo=UTC)
            facts = VideoFacts(when, "container", 60.0 + n, 1920, 1080)
            hls = leaf.endswith("/")
            found[leaf] = IndexEntry(
                facts, size=None if hls else obj.size, modified=None if hls else obj.modified
            )
        model.put_object(BUCKET, prefix + INDEX_NAME, encode_index(found))
        indexed += len(found)
    return indexed


def timeline_case(runs: int) -> None:
    from benchmarks.bench_oci_listing import BUCKET, NS, entries
    from homemovies_core.oci.storage import OciStorage
    from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config

    model = FakeOCIModel(namespace=NS)
    print("\nBuilding the virtual bucket …", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, start_fake_oci(model) as server:
        config = write_oci_config(tmp)
        argv = [
            "--bucket",
            BUCKET,
            "--os_endpoint",
            server.endpoint,
            "--oci_config",
            str(config),
            "--username",
            "u",
            "--password",
            "p",
            "--cookie_key",
            COOKIE_KEY,
        ]
        model.add_virtual_bucket(BUCKET, entries())
        indexed = bucket_with_indexes(model, OciStorage.from_settings(settings.load(argv, {}, [])))
        objects = len(model.object_names(BUCKET))
        svc = services.build(settings.load(argv, {}, []), announce=lambda _m: None)
        services.install(svc)
        at = logged_in_page(svc, "Home.py")
        at.switch_page("pages/timeline.py")
        before = sum(model.counts.values())
        first = page_run_seconds(at)
        while svc.catalog.cached_videos()[1]:  # the background listings of the first view
            time.sleep(0.05)
        first_calls = sum(model.counts.values()) - before
        warm, calls = [], []
        for _ in range(runs):
            before = sum(model.counts.values())
            warm.append(page_run_seconds(at))
            calls.append(sum(model.counts.values()) - before)
        dated = sum(1 for v in svc.catalog.cached_videos()[0] if v.recorded is not None)
        shown = [m.value for m in at.subheader]
        if not at.title or at.title[0].value != "Timeline" or not shown:
            raise SystemExit("the timeline page did not draw its months")
    print(
        f"\nTimeline over the virtual bucket: {objects:,} objects, {indexed:,} indexed "
        f"videos ({dated:,} with a recorded date), real oci SDK, fake OCI on loopback; "
        f"AppTest script time, median of {runs}"
    )
    print(f"{'case':<26}{'median s':>10}{'min s':>9}{'max s':>9}{'OCI calls':>11}")
    print(
        f"{'first view (lists, bg)':<26}{first:>10.3f}{first:>9.3f}{first:>9.3f}{first_calls:>11}"
    )
    print(
        f"{'warm':<26}{statistics.median(warm):>10.3f}{min(warm):>9.3f}{max(warm):>9.3f}"
        f"{max(calls):>11}"
    )
    print(f"months on the first page: {', '.join(shown[:4])} …")


if __name__ == "__main__":
    main()
