"""The OCI backend through the real `oci` SDK, talking HTTP to the fake OCI server."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import oci
import pytest
from PIL import Image

from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.library import Kind
from homemovies_core.oci.policy import INTERACTIVE, CallPolicy
from homemovies_core.oci.storage import OciStorage
from homemovies_core.pars import PlaybackUrls
from homemovies_core.posters import thumbnail
from homemovies_core.redis_cache import FailoverCache, RedisCache
from homemovies_core.storage.base import StorageError
from tests.fake_oci import (
    mint_resource_principal_env,
    start_fake_oci,
)
from tests.support.oci_env import BUCKET, NS, QUICK, oci_settings
from tests.support.redis_server import start_redis, stop

HOUR = 3600.0


@pytest.fixture
def storage(server, config_path) -> OciStorage:
    return OciStorage.from_settings(
        oci_settings(server.endpoint, config_path), policy=QUICK, background=QUICK
    )


def _catalog(storage, cache=None, ttl=60.0) -> Catalog:
    # Patient: these tests are about what a failed listing shows, so they wait for it (the
    # slow case, where a page shows the older copy at once, is tests/test_catalog_slow.py).
    return Catalog(
        storage, cache or LocalCache(), listing_ttl=ttl, count_eagerly=False, patience=60
    )


def _urls(storage, cache=None, clock=time.time) -> PlaybackUrls:
    return PlaybackUrls(
        storage,
        cache or LocalCache(),
        ttl_seconds=6 * HOUR,
        min_remaining_seconds=3 * HOUR,
        clock=clock,
    )


def _jpeg(colour: str) -> bytes:
    # Real images: the catalog drops poster bytes that Pillow cannot read.
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), colour).save(buffer, "JPEG")
    return buffer.getvalue()


BEACH_POSTER, PARTY_POSTER = _jpeg("orange"), _jpeg("navy")

TRICKY = {
    "Holidays 2019/Beach day.mp4": b"beach-mp4",
    "Holidays 2019/Beach day.jpg": BEACH_POSTER,
    "Holidays 2019/Beach day.en.vtt": b"WEBVTT\n",
    "Holidays 2019/Party #2 ?.hls/output.m3u8": b"#EXTM3U\n",
    "Holidays 2019/Party #2 ?.hls/poster.jpg": PARTY_POSTER,
    "Holidays 2019/Party #2 ?.hls/seg 1.ts": b"\x47" * 188,
    "Holidays 2019/deeper/nested.mp4": b"ignored",
    "Holidays 2019/.hidden.mp4": b"hidden",
    "Odd/a+b=c 100%.mp4": b"plus-percent",
    "Odd/what?#now.mov": b"hash-question",
    "Ünïcödé/café – 夏.mp4": b"unicode",
    "Loose clip.mp4": b"loose",
    "notes.txt": b"not a video",
}


def test_layout_and_tricky_names_through_the_catalog(storage, server):
    for name, data in TRICKY.items():
        server.model.put_object(BUCKET, name, data)
    server.model.put_object(BUCKET, "Holidays 2019/", b"")  # a console "folder" marker
    catalog, urls = _catalog(storage), _urls(storage)

    folders = catalog.folders()
    assert [f.key for f in folders] == ["Holidays 2019/", "Odd/", "Ünïcödé/", ""]
    view = catalog.folder_view("Holidays 2019/")
    assert not view.stale
    assert [(v.title, v.kind) for v in view.videos] == [
        ("Beach day", Kind.PROGRESSIVE),
        ("Party #2 ?", Kind.HLS),
    ]
    beach, party = view.videos
    assert beach.poster == "Holidays 2019/Beach day.jpg"
    assert [s.language for s in beach.subtitles] == ["en"]
    assert party.playlist == "Holidays 2019/Party #2 ?.hls/output.m3u8"

    # Posters come from small ranged reads, never from one PAR each. (Other reads may run
    # meanwhile: the background listings of the other folders read their indexes.)
    def poster_reads() -> int:
        return sum(1 for r in server.model.requests("GetObject") if r.path.endswith(".jpg"))

    before = poster_reads()
    posters = catalog.posters(list(view.videos))
    # Each poster comes back as the catalog's thumbnail of the object's bytes.
    assert posters == {beach.key: thumbnail(BEACH_POSTER), party.key: thumbnail(PARTY_POSTER)}
    assert all(posters.values())
    assert server.model.counts["CreatePreauthenticatedRequest"] == 0
    assert poster_reads() - before == 2
    catalog.posters(list(view.videos))
    assert poster_reads() - before == 2  # cached bytes

    # A listed folder costs nothing the second time, and no segment was ever listed.
    listed = server.model.counts["ListObjects"]
    catalog.folder_view("Holidays 2019/")
    assert server.model.counts["ListObjects"] == listed

    # Every awkward name plays through its PAR URL.
    everything = [v for f in folders for v in catalog.folder_view(f.key).videos]
    assert len(everything) == 6
    with httpx.Client() as http:
        for video in everything:
            response = http.get(urls.video_url(video))
            assert response.status_code == 200, video.key
            assert response.content == TRICKY[video.playlist]
            assert response.headers["access-control-allow-origin"] == "*"
        segment = http.get(urls.object_url("Holidays 2019/Party #2 ?.hls/seg 1.ts", within=party))
        assert segment.content == b"\x47" * 188
    assert server.model.counts["CreatePreauthenticatedRequest"] == 6  # the segment rode along


def test_pagination_lists_every_video_once(server, config_path):
    server.model.add_virtual_bucket(
        "big",
        [(f"Big/clip {i:04d}.mp4", 100 + i) for i in range(2500)]
        + [(f"Big/Movie.hls/seg{s:05d}.ts", 1000) for s in range(3000)],
    )
    storage = OciStorage.from_settings(
        oci_settings(server.endpoint, config_path, bucket="big"), policy=QUICK
    )
    server.model.reset_counts()
    view = _catalog(storage).folder_view("Big/")
    assert server.model.counts["ListObjects"] == 3
    keys = [v.key for v in view.videos]
    assert len(keys) == 2501 and len(set(keys)) == 2501
    assert "Big/Movie.hls/" in keys
    sizes = {v.key: v.size for v in view.videos}
    assert sizes["Big/clip 0007.mp4"] == 107


def test_prefix_par_cannot_read_outside_its_prefix(storage, server):
    server.model.put_object(BUCKET, "A/Trip.hls/output.m3u8", b"#EXTM3U\n")
    server.model.put_object(BUCKET, "A/Trip.hls/seg.ts", b"seg")
    server.model.put_object(BUCKET, "A/Trip.hls-other/output.m3u8", b"other")
    server.model.put_object(BUCKET, "A/Secret.mp4", b"secret")
    grant = storage.grant("A/Trip.hls/", prefix=True, expires_at=time.time() + HOUR)
    assert grant.url.endswith("/o/") and grant.url.startswith(server.endpoint + "/p/")
    (par,) = server.model.pars(BUCKET)
    assert par.access_type == "AnyObjectRead" and par.object_name == "A/Trip.hls/"
    assert par.bucket_listing_action == "Deny" and par.name.startswith("hm:")
    assert grant.id == par.id
    assert httpx.get(grant.url + "A/Trip.hls/seg.ts").content == b"seg"
    for outside in ["A/Secret.mp4", "A/Trip.hls-other/output.m3u8", ""]:
        assert httpx.get(grant.url + outside).status_code == 404, outside


def test_object_par_cannot_read_a_sibling(storage, server):
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    server.model.put_object(BUCKET, "A/two.mp4", b"two")
    grant = storage.grant("A/one.mp4", prefix=False, expires_at=time.time() + HOUR)
    assert httpx.get(grant.url).content == b"one"
    (par,) = server.model.pars(BUCKET)
    assert par.access_type == "ObjectRead" and par.object_name == "A/one.mp4"
    assert httpx.get(grant.url.replace("one.mp4", "two.mp4")).status_code == 404


def test_expiry_margins_reuse_then_reissue(storage, server):
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    now = [time.time()]
    urls = _urls(storage, clock=lambda: now[0])
    first = urls.grant("A/one.mp4", prefix=False)
    (par,) = server.model.pars(BUCKET)
    assert abs(par.time_expires.timestamp() - (now[0] + 6 * HOUR)) < 2
    now[0] += 3 * HOUR - 60  # still 3 h + 1 min left: reused
    assert urls.grant("A/one.mp4", prefix=False) == first
    assert server.model.counts["CreatePreauthenticatedRequest"] == 1
    now[0] += 120  # less than 3 h left: a new PAR, so the movie never dies mid-play
    second = urls.grant("A/one.mp4", prefix=False)
    assert second.id != first.id and second.expires_at > first.expires_at
    assert server.model.counts["CreatePreauthenticatedRequest"] == 2


def test_threads_in_one_process_create_one_par(storage, server):
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    server.model.latency_seconds = 0.05  # let the misses pile up behind the first
    urls = _urls(storage)
    with ThreadPoolExecutor(50) as pool:
        got = set(pool.map(lambda _: urls.grant("A/one.mp4", prefix=False).url, range(50)))
    assert len(got) == 1
    assert server.model.counts["CreatePreauthenticatedRequest"] == 1


def test_sweep_deletes_only_our_expired_pars(storage, server):
    past = datetime.now(UTC) - timedelta(hours=1)
    future = datetime.now(UTC) + timedelta(hours=1)
    model = server.model
    ours_expired = [
        model.create_par(BUCKET, f"hm:{i:04x}:1", "ObjectRead", past, f"o{i}") for i in range(130)
    ]
    ours_live = model.create_par(BUCKET, "hm:live:9", "ObjectRead", future, "live")
    theirs = model.create_par(BUCKET, "backup-job", "AnyObjectRead", past)
    assert len(ours_expired) == 130

    assert storage.sweep_expired() == 130
    assert sorted(p.name for p in model.pars(BUCKET)) == ["backup-job", "hm:live:9"]
    assert model.counts["ListPreauthenticatedRequests"] == 2  # 132 PARs, 100 a page
    assert {ours_live.id, theirs.id} == {p.id for p in model.pars(BUCKET)}

    cache = LocalCache()
    assert storage.sweep_if_due(cache) is True
    assert storage.sweep_if_due(cache) is False  # at most once an hour per bucket
    assert model.counts["ListPreauthenticatedRequests"] == 3


def test_background_sweep_thread_runs_once_per_lock(storage, server):
    model = server.model
    model.create_par(BUCKET, "hm:old:1", "ObjectRead", datetime.now(UTC) - timedelta(hours=1), "x")
    checks: list[tuple[int, bool]] = []  # (thread, won the lock), one per check
    five_checks = threading.Event()

    class WatchedCache(LocalCache):
        def add(self, key, value, ttl):
            won = super().add(key, value, ttl)
            if key.startswith("sweep:"):
                checks.append((threading.get_ident(), won))
                if len(checks) >= 5:
                    five_checks.set()
            return won

    cache = WatchedCache()
    storage.start_background(cache, check_every=0.05)
    storage.start_background(cache, check_every=0.05)  # idempotent
    try:
        assert five_checks.wait(60), f"the sweeper stopped checking after {len(checks)}"
    finally:
        storage.stop_background()
    assert len({thread for thread, _ in checks}) == 1  # one sweeper thread
    assert [won for _, won in checks[:5]] == [True, False, False, False, False]
    assert model.pars(BUCKET) == []  # the first check swept
    assert model.counts["ListPreauthenticatedRequests"] == 1  # the others were held off


# ---- faults ----------------------------------------------------------------------------


def test_two_429s_then_success_are_invisible(server, config_path):
    storage = OciStorage.from_settings(oci_settings(server.endpoint, config_path))  # INTERACTIVE
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    server.model.reset_counts()
    server.model.inject_fault("ListObjects", status=429, count=2)
    view = _catalog(storage).folder_view("A/")
    assert not view.stale and view.error is None
    assert [v.key for v in view.videos] == ["A/one.mp4"]
    assert server.model.counts["ListObjects"] == 3


def test_500_forever_shows_the_stale_copy_within_the_bound(server, config_path):
    storage = OciStorage.from_settings(oci_settings(server.endpoint, config_path))  # INTERACTIVE
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    catalog = _catalog(storage, ttl=0)  # no fresh cache: every view asks OCI
    assert not catalog.folder_view("A/").stale
    server.model.reset_counts()
    server.model.inject_fault("ListObjects", status=500, count=None)
    view = catalog.folder_view("A/")
    assert view.stale and [v.key for v in view.videos] == ["A/one.mp4"]
    assert view.error == (
        "Listing the folder 'A/' failed: OCI had a problem answering (500 InternalServerError)."
    )
    # Bounded: exactly INTERACTIVE.max_attempts calls, and the policy's worst case is ~10 s.
    assert server.model.counts["ListObjects"] == INTERACTIVE.max_attempts == 3
    assert INTERACTIVE.worst_case_seconds() <= 10
    # A folder never listed before has nothing to fall back on: an empty view with the reason.
    empty = catalog.folder_view("B/")
    assert empty.stale and empty.videos == () and "500" in empty.error


def test_hang_longer_than_the_read_timeout_is_a_storage_error(server, config_path):
    impatient = CallPolicy(
        connect_timeout=1,
        read_timeout=0.5,
        max_attempts=2,
        total_seconds=0.4,
        base_sleep=0.01,
        max_sleep=0.01,
    )
    storage = OciStorage.from_settings(oci_settings(server.endpoint, config_path), policy=impatient)
    server.model.reset_counts()
    server.model.inject_fault("ListObjects", hang_seconds=2, count=None)
    with pytest.raises(StorageError) as failed:
        storage.list_level("A/")
    assert str(failed.value) == "Listing the folder 'A/' failed: OCI did not answer in time."
    # The first attempt outlived total_seconds, so there was no second one.
    assert server.model.counts["ListObjects"] == 1


def test_clients_carry_our_policy_not_the_sdk_defaults(storage):
    base = storage._client.base_client
    assert base.timeout == (QUICK.connect_timeout, QUICK.read_timeout)
    assert isinstance(base.circuit_breaker_strategy, oci.circuit_breaker.NoCircuitBreakerStrategy)
    assert storage._client.retry_strategy is not None
    assert storage._client.retry_strategy is not oci.retry.DEFAULT_RETRY_STRATEGY
    assert INTERACTIVE.client_kwargs()["timeout"] == (2, 3)


def test_redis_killed_mid_run_keeps_serving(storage, server, tmp_path):
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    server.model.put_object(BUCKET, "A/two.mp4", b"two")
    proc, url = start_redis(tmp_path / "redis")
    try:
        cache = FailoverCache(RedisCache(url, timeout=0.5), retry_seconds=60)
        catalog, urls = _catalog(storage, cache), _urls(storage, cache)
        assert len(catalog.folder_view("A/").videos) == 2
        first = urls.grant("A/one.mp4", prefix=False)
        assert urls.grant("A/one.mp4", prefix=False) == first  # from Redis
    finally:
        stop(proc)
    view = catalog.folder_view("A/")
    assert not view.stale and len(view.videos) == 2
    second = urls.grant("A/two.mp4", prefix=False)
    assert httpx.get(second.url).content == b"two"
    assert cache.degraded


# ---- sign-in and start-up --------------------------------------------------------------


def test_resource_principal_signer_works_against_the_fake(server, tmp_path, monkeypatch):
    for key, value in mint_resource_principal_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    server.model.put_object(BUCKET, "A/one.mp4", b"one")
    settings = oci_settings(server.endpoint, None, "--resource_principal")
    storage = OciStorage.from_settings(settings, policy=QUICK)
    assert [o.name for o in storage.list_level("A/").objects] == ["A/one.mp4"]
    assert server.model.requests("ListObjects")[-1].key_id.startswith("ST$")


def test_resource_principals_without_environment_is_one_sentence(server, monkeypatch):
    monkeypatch.delenv("OCI_RESOURCE_PRINCIPAL_VERSION", raising=False)
    with pytest.raises(StorageError, match="OCI_RESOURCE_PRINCIPAL_VERSION is not set"):
        OciStorage.from_settings(oci_settings(server.endpoint, None, "--resource_principal"))


def test_instance_principal_failure_is_one_sentence(server, monkeypatch):
    calls = []

    def no_metadata_service():
        calls.append(1)
        raise oci.exceptions.ServiceError(404, "NotFound", {}, "no metadata service")

    monkeypatch.setattr(
        oci.auth.signers, "InstancePrincipalsSecurityTokenSigner", no_metadata_service
    )
    with pytest.raises(StorageError) as failed:
        OciStorage.from_settings(oci_settings(server.endpoint, None, "--instance_principal"))
    assert calls == [1]
    assert str(failed.value).startswith("Signing in with instance principals failed")


def test_instance_principal_signer_is_used(server, monkeypatch, tmp_path):
    # The instance's signer: a session-token signer of its own (minted like a resource
    # principal's, since the SDK isinstance-checks the class). Resource principals are set up
    # too, with another token, so that signing with the wrong one shows.
    instance_env = mint_resource_principal_env(tmp_path / "instance")
    for key, value in instance_env.items():
        monkeypatch.setenv(key, value)
    instance_signer = oci.auth.signers.get_resource_principals_signer()
    for key, value in mint_resource_principal_env(tmp_path / "resource").items():
        monkeypatch.setenv(key, value)

    class FakeInstancePrincipals(type(instance_signer)):
        def __new__(cls):
            return instance_signer

    monkeypatch.setattr(
        oci.auth.signers, "InstancePrincipalsSecurityTokenSigner", FakeInstancePrincipals
    )
    server.model.reset_counts()
    storage = OciStorage.from_settings(
        oci_settings(server.endpoint, None, "--instance_principal"), policy=QUICK
    )
    assert storage.scope == f"{NS}/{BUCKET}"
    storage.list_level("")
    signed_with = [r.key_id for r in server.model.requests()]
    assert len(signed_with) >= 2  # start-up's checks and the listing
    assert set(signed_with) == {"ST$" + instance_env["OCI_RESOURCE_PRINCIPAL_RPST"]}


def test_config_file_problems_are_one_sentence(server, tmp_path, monkeypatch, config_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OCI_CONFIG_FILE", raising=False)
    with pytest.raises(StorageError, match=r"~/.oci/config does not exist"):
        OciStorage.from_settings(oci_settings(server.endpoint, None))
    with pytest.raises(StorageError, match=r"has no profile \[FAMILY\]"):
        OciStorage.from_settings(
            oci_settings(server.endpoint, config_path, "--oci_profile", "FAMILY")
        )
    broken = tmp_path / "broken"
    broken.write_text(config_path.read_text().replace("fingerprint=", "fingerprint=zz"))
    with pytest.raises(StorageError, match=r"is not valid: fingerprint is malformed\.$"):
        OciStorage.from_settings(oci_settings(server.endpoint, broken))


def test_start_up_failures_are_one_sentence(server, config_path):
    with pytest.raises(StorageError) as wrong_bucket:
        OciStorage.from_settings(
            oci_settings(server.endpoint, config_path, bucket="nope"), policy=QUICK
        )
    assert str(wrong_bucket.value) == (
        "The bucket 'nope' does not exist in namespace 'fakens', or this identity may not read it."
    )
    server.model.inject_fault("GetNamespace", status=401, count=None)
    with pytest.raises(StorageError, match=r"refused the credentials \(401 NotAuthenticated\)"):
        OciStorage.from_settings(oci_settings(server.endpoint, config_path), policy=QUICK)
    server.model.clear_faults()
    dead = start_fake_oci()
    dead_endpoint = dead.endpoint
    dead.stop()
    with pytest.raises(StorageError) as unreachable:
        OciStorage.from_settings(oci_settings(dead_endpoint, config_path), policy=QUICK)
    message = str(unreachable.value)
    assert message.endswith("failed: OCI could not be reached.")
    assert "\n" not in message and "Traceback" not in message


def test_read_small_caps_size_and_misses(storage, server):
    server.model.put_object(BUCKET, "small.jpg", b"x" * 100)
    server.model.put_object(BUCKET, "empty.jpg", b"")
    assert storage.read_small("small.jpg", 100) == b"x" * 100
    assert storage.read_small("small.jpg", 99) is None
    assert storage.read_small("missing.jpg", 100) is None
    assert storage.read_small("empty.jpg", 100) == b""
    assert storage.ping() is True


def test_concurrent_listing_from_many_threads(storage, server):
    for i in range(30):
        server.model.put_object(BUCKET, f"F{i}/clip.mp4", b"x")
    errors = []

    def list_one(i):
        try:
            assert [o.name for o in storage.list_level(f"F{i}/").objects] == [f"F{i}/clip.mp4"]
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=list_one, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_write_small_puts_one_object_and_never_replaces_when_asked_not_to(storage, server):
    model = server.model
    assert storage.write_small("A/.homemovies.json", b"{}", content_type="application/json")
    assert storage.write_small("A/.homemovies.json", b"{ }", content_type="application/json")
    assert model.get_object_bytes(BUCKET, "A/.homemovies.json") == b"{ }"
    assert model.head_object(BUCKET, "A/.homemovies.json").content_type == "application/json"
    model.put_object(BUCKET, "A/Movie.jpg", b"the family's own")
    model.reset_counts()
    assert storage.write_small("A/Movie.jpg", b"ours", replace=False) is False
    assert model.get_object_bytes(BUCKET, "A/Movie.jpg") == b"the family's own"
    assert model.counts["PutObject"] == 1  # refused at once, not retried
    assert storage.write_small("A/New.jpg", b"ours", replace=False) is True
    # Hidden: the index is never content of the folder.
    assert [o.name for o in storage.list_level("A/").objects] == ["A/Movie.jpg", "A/New.jpg"]


def test_the_catalog_reads_a_folders_index_with_its_listing_once_per_ttl(storage, server):
    from homemovies_core.index.formats import INDEX_NAME, IndexEntry, VideoFacts, encode_index

    model = server.model
    model.put_object(BUCKET, "Holidays/Beach.mp4", b"beach")
    model.put_object(BUCKET, "Holidays/Party.hls/output.m3u8", b"#EXTM3U\n")
    model.put_object(BUCKET, "Other/Clip.mp4", b"clip")
    (beach,) = storage.list_level("Holidays/").objects  # as `index` saw it listed
    filmed = datetime(2021, 8, 1, 9, 30, tzinfo=UTC)
    entries = {
        "Beach.mp4": IndexEntry(
            VideoFacts(filmed, "container", 12.0, 640, 360), beach.size, beach.modified
        ),
        "Party.hls/": IndexEntry(VideoFacts(filmed, "quicktime", 30.0, 1280, 720)),
    }
    model.put_object(BUCKET, "Holidays/" + INDEX_NAME, encode_index(entries))
    clock = [1000.0]
    cache = LocalCache(timer=lambda: clock[0])
    catalog = _catalog(storage, cache, ttl=60)
    model.reset_counts()
    for _ in range(3):
        videos = {v.title: v for v in catalog.folder_view("Holidays/").videos}
        assert (videos["Beach"].recorded, videos["Beach"].duration) == (filmed, 12.0)
        assert (videos["Party"].recorded_source, videos["Party"].width) == ("quicktime", 1280)
    assert model.counts["ListObjects"] == 1 and model.counts["GetObject"] == 1
    # A folder without an index costs the same one read (a 404) and shows as before.
    other = catalog.folder_view("Other/").videos
    assert [(v.title, v.recorded) for v in other] == [("Clip", None)]
    assert model.counts["GetObject"] == 2
    clock[0] += 61  # the listing expires, and the index with it
    catalog.folder_view("Holidays/")
    assert model.counts["ListObjects"] == 3 and model.counts["GetObject"] == 3
