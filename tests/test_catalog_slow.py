"""When OCI is slow or hangs, a folder listed before shows at once from its older copy,
marked as possibly out of date, while one refresh finishes in the background."""

from __future__ import annotations

import threading
import time
from collections import Counter

from homemovies_core.cache import LocalCache
from homemovies_core.catalog import REFRESHING, Catalog
from homemovies_core.oci.storage import OciStorage
from homemovies_core.storage.base import StorageError
from homemovies_core.storage.local import LocalStorage
from tests.support.oci_env import BUCKET, oci_settings


def test_a_hanging_listing_shows_the_older_copy_at_once(server, config_path):
    storage = OciStorage.from_settings(oci_settings(server.endpoint, config_path))
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False, patience=0.2)
    assert [v.key for v in catalog.folder_view("A/").videos] == ["A/one.mp4"]

    server.model.put_object(BUCKET, "A/two.mp4", b"two")
    # Longer than five views' patience (1 s), shorter than the SDK's read timeout (3 s).
    server.model.inject_fault("ListObjects", hang_seconds=2, count=1)
    server.model.reset_counts()
    catalog.forget("A/")  # out of date (as when its lifetime ends): the next views list again
    views = [catalog.folder_view("A/") for _ in range(5)]  # five page views meanwhile
    refresh = catalog.refreshing("A/")
    # Shown from the older copy, and returned while the one refresh is still hanging.
    assert refresh is not None and not refresh.done()
    assert all(v.stale and v.error == REFRESHING for v in views)
    assert all([v.key for v in v.videos] == ["A/one.mp4"] for v in views)
    assert server.model.counts["ListObjects"] == 1  # one refresh, not one per page view

    refresh.result(timeout=30)  # the background refresh completes and keeps its listing...
    # ...so the next view shows it without listing again. (The test used a lifetime of 0:
    # then nothing was kept, the next view listed again and waited only `patience` for it,
    # which a loaded machine did not always meet.)
    fresh = catalog.folder_view("A/")
    assert not fresh.stale
    assert [v.key for v in fresh.videos] == ["A/one.mp4", "A/two.mp4"]
    assert server.model.counts["ListObjects"] == 1  # from what the refresh kept


def test_a_folder_never_listed_waits_for_the_backend(server, config_path):
    storage = OciStorage.from_settings(oci_settings(server.endpoint, config_path))
    server.model.put_object(BUCKET, "B/one.mp4", b"one")
    server.model.inject_fault("ListObjects", hang_seconds=0.5, count=1)
    catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False, patience=0.1)
    view = catalog.folder_view("B/")  # nothing older to show: the page waits
    assert not view.stale and [v.key for v in view.videos] == ["B/one.mp4"]


def test_a_quick_refresh_of_an_expired_listing_never_blocks(tmp_path):
    """A refresh that finishes before its callback is attached used to deadlock the page
    (the callback took a lock the caller held): every expired listing could freeze a page."""
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "one.mp4").write_bytes(b"one")
    catalog = Catalog(
        LocalStorage(tmp_path, b"k" * 32),
        LocalCache(),
        listing_ttl=0,
        count_eagerly=True,
        patience=30,
    )
    for _ in range(50):  # each view has an older copy and refreshes it
        assert [v.key for v in catalog.folder_view("A/").videos] == ["A/one.mp4"]
    assert catalog.refreshing("A/") is None


class GatedLocal(LocalStorage):
    """A folder on disk whose listings of the folders in `gated` wait for `gate` (at most
    10 s: `gave_up` says one did); every listing is counted by folder."""

    def __init__(self, root, gated: set[str]) -> None:
        super().__init__(root, b"k" * 32)
        self.gated = gated
        self.gate = threading.Event()
        self.calls: Counter[str] = Counter()
        self.gave_up = False
        self._lock = threading.Lock()

    def list_level(self, prefix):
        with self._lock:
            self.calls[prefix] += 1
        if prefix in self.gated and not self.gate.wait(10):
            self.gave_up = True
            raise StorageError("gave up waiting")
        return super().list_level(prefix)


def test_a_folder_warmed_in_the_background_and_opened_meanwhile_is_listed_once(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "one.mp4").write_bytes(b"one")
    storage = GatedLocal(tmp_path, {"A/"})
    catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False)
    catalog.warm(["A/"])  # the landing page counts it in the background...
    views = []
    page = threading.Thread(target=lambda: views.append(catalog.folder_view("A/")))
    page.start()  # ...and a click opens it while that listing hangs
    deadline = time.monotonic() + 1  # a second listing, if one came, would have begun by now
    while storage.calls["A/"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    storage.gate.set()
    page.join(30)
    assert [v.key for v in views[0].videos] == ["A/one.mp4"]
    assert storage.calls["A/"] == 1  # the page waited for the background listing


def test_a_page_does_not_queue_behind_background_listings(tmp_path):
    """A folder whose background listing is still queued behind others is listed for the
    page at once, and only once: the queued one is dropped."""
    slow = [f"Slow {i}/" for i in range(8)]  # as many as the catalog lists at a time
    for name in [*slow, "A/"]:
        (tmp_path / name).mkdir()
    (tmp_path / "A" / "one.mp4").write_bytes(b"one")
    storage = GatedLocal(tmp_path, set(slow))
    catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False)
    catalog.warm([*slow, "A/"])  # A/ waits in the queue until a slow listing is back
    view = catalog.folder_view("A/")
    # Came back while every background listing still hangs (not after they gave up).
    assert not storage.gave_up and not storage.gate.is_set()
    assert [v.key for v in view.videos] == ["A/one.mp4"]
    storage.gate.set()
    catalog._pool.shutdown(wait=True)  # the background listings finish
    assert storage.calls["A/"] == 1
    assert all(storage.calls[name] == 1 for name in slow)
