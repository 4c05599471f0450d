"""The fake OCI server, exercised through the real ``oci`` SDK (and plain HTTP for PAR URLs)."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import oci
import pytest

from tests.fake_oci import (
    FAKE_COMPARTMENT,
    FAKE_TENANCY,
    FakeOCIModel,
    filler_bytes,
    mint_resource_principal_env,
    write_oci_config,
)

NS = "fakens"
BUCKET = "movies"
FAST_RETRY = oci.retry.RetryStrategyBuilder(
    max_attempts=4,
    total_elapsed_time_seconds=20,
    retry_base_sleep_time_seconds=0.01,
    retry_max_wait_between_calls_seconds=0.05,
    decorrelated_jitter=0.01,
).get_retry_strategy()
NO_RETRY = oci.retry.NoneRetryStrategy()


@pytest.fixture(scope="module")
def oci_config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = write_oci_config(tmp_path_factory.mktemp("oci"))
    config = oci.config.from_file(str(path), "DEFAULT")
    oci.config.validate_config(config)
    return config


@pytest.fixture
def client(server, oci_config) -> oci.object_storage.ObjectStorageClient:
    return oci.object_storage.ObjectStorageClient(oci_config, service_endpoint=server.endpoint)


def _future(hours: float = 6) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def _create_par(
    client,
    name: str,
    access_type: str,
    object_name: str | None = None,
    *,
    expires: datetime | None = None,
    listing: str | None = None,
):
    details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
        name=name,
        access_type=access_type,
        time_expires=expires or _future(),
        object_name=object_name,
        bucket_listing_action=listing,
    )
    return client.create_preauthenticated_request(NS, BUCKET, details).data


def _par_url(server, par, object_name: str | None = None) -> str:
    url = server.endpoint + par.access_uri
    return url + quote(object_name, safe="/") if object_name is not None else url


def _list_all(client, **kwargs) -> tuple[list[str], list[str], int]:
    """Follow nextStartWith to the end; returns (object names, prefixes, pages)."""
    names, prefixes, pages, start = [], [], 0, None
    while True:
        data = client.list_objects(NS, BUCKET, start=start, **kwargs).data
        pages += 1
        names += [o.name for o in data.objects]
        prefixes += data.prefixes or []
        start = data.next_start_with
        if start is None:
            return names, prefixes, pages


# ---- credentials and the basics ---------------------------------------------------


def test_config_validates_and_namespace(client, server):
    assert client.get_namespace().data == NS
    assert server.model.counts["GetNamespace"] == 1


def test_unsigned_requests_are_rejected(server):
    response = httpx.get(server.endpoint + "/n")
    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthenticated"
    assert response.headers["opc-request-id"]
    bogus = httpx.get(server.endpoint + "/n", headers={"Authorization": "Bearer abc"})
    assert bogus.status_code == 401


def test_a_bug_in_the_fake_fails_fast(client, server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("oops")

    monkeypatch.setattr(server.model, "head_object", broken)
    with pytest.raises(oci.exceptions.ServiceError) as failed:
        client.head_object(NS, BUCKET, "x")  # default retry strategy: 501 is not retried
    assert failed.value.status == 501
    assert server.model.counts["HeadObject"] == 1


def test_unknown_route_is_oci_shaped_404(client, server):
    response = httpx.get(server.endpoint + "/nope/at/all")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert response.headers["opc-request-id"]


def test_put_get_head_and_range(client, server):
    data = bytes(range(256)) * 40
    put = client.put_object(NS, BUCKET, "Trips/beach.mp4", data, content_type="video/mp4")
    assert put.headers["opc-content-md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    etag = put.headers["etag"]

    got = client.get_object(NS, BUCKET, "Trips/beach.mp4")
    assert got.data.content == data
    assert got.headers["content-type"] == "video/mp4"
    assert got.headers["etag"] == etag

    head = client.head_object(NS, BUCKET, "Trips/beach.mp4")
    assert int(head.headers["content-length"]) == len(data)
    assert head.headers["last-modified"]

    part = client.get_object(NS, BUCKET, "Trips/beach.mp4", range="bytes=100-199")
    assert part.status == 206
    assert part.data.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"

    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.get_object(NS, BUCKET, "Trips/nope.mp4", retry_strategy=NO_RETRY)
    assert missing.value.status == 404
    assert missing.value.code == "ObjectNotFound"

    with pytest.raises(oci.exceptions.ServiceError) as no_bucket:
        client.list_objects(NS, "no-such-bucket", retry_strategy=NO_RETRY)
    assert no_bucket.value.code == "BucketNotFound"
    assert server.model.counts["PutObject"] == 1


def test_put_without_content_type_stores_what_the_sdk_sends(client):
    # The SDK's signer fills in "application/json" when no content type is given.
    client.put_object(NS, BUCKET, "clip.mp4", b"x")
    assert client.head_object(NS, BUCKET, "clip.mp4").headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "name",
    [
        "Holiday 2019/day one.mp4",
        "Odd/#1 take?.mp4",
        "Odd/a+b=c.mp4",
        "Odd/100% fun.mp4",
        "Ünïcödé/café 夏 ☀.mp4",
        "Odd/%2F literally.mp4",
    ],
)
def test_awkward_object_names_round_trip(client, server, name):
    client.put_object(NS, BUCKET, name, name.encode(), content_type="video/mp4")
    assert client.get_object(NS, BUCKET, name).data.content == name.encode()
    listed = client.list_objects(NS, BUCKET, prefix=name).data.objects
    assert [o.name for o in listed] == [name]
    assert server.model.get_object_bytes(BUCKET, name) == name.encode()

    par = _create_par(client, "play", "ObjectRead", name)
    assert par.access_uri.endswith("/o/" + quote(name, safe="/"))
    via_par = httpx.get(_par_url(server, par))
    assert via_par.status_code == 200
    assert via_par.content == name.encode()


# ---- listing ----------------------------------------------------------------------


def _small_library() -> list[tuple[str, int]]:
    entries = [
        (f"Folder {f:02d}/clip {c:03d}.mp4", 1000 + c) for f in range(40) for c in range(100)
    ]
    entries += [
        (f"Folder {f:02d}/Trip.hls/seg{s:04d}.ts", 188 * 100) for f in range(5) for s in range(190)
    ]
    entries += [(f"Folder {f:02d}/Trip.hls/output.m3u8", 500) for f in range(5)]
    entries += [(f"root-{i}.mp4", 10) for i in range(45)]
    assert len(entries) == 5000
    return entries


def test_list_virtual_bucket_flat_pagination(server, oci_config):
    server.model.add_virtual_bucket("big", _small_library())
    client = oci.object_storage.ObjectStorageClient(oci_config, service_endpoint=server.endpoint)
    names, start, pages = [], None, 0
    while True:
        data = client.list_objects(
            NS, "big", start=start, fields="name,size,md5,timeCreated,etag"
        ).data
        pages += 1
        assert len(data.objects) <= 1000
        names += [o.name for o in data.objects]
        start = data.next_start_with
        if start is None:
            break
    assert pages == 5
    assert names == sorted(n for n, _ in _small_library())
    first = client.list_objects(NS, "big", limit=1, fields="size,timeModified").data.objects[0]
    assert first.name == "Folder 00/Trip.hls/output.m3u8"
    assert first.size == 500 and first.time_modified is not None and first.md5 is None


def test_list_with_delimiter_visits_everything_once(server, oci_config):
    server.model.add_virtual_bucket("big", _small_library())
    client = oci.object_storage.ObjectStorageClient(oci_config, service_endpoint=server.endpoint)

    def walk(prefix: str, limit: int) -> tuple[list[str], list[str]]:
        names, prefixes, start = [], [], None
        while True:
            data = client.list_objects(
                NS, "big", prefix=prefix, delimiter="/", start=start, limit=limit
            ).data
            assert len(data.objects) + len(data.prefixes) <= limit
            names += [o.name for o in data.objects]
            prefixes += data.prefixes
            start = data.next_start_with
            if start is None:
                return names, prefixes

    names, prefixes = walk("", limit=7)  # prefixes count toward the page, so this spans pages
    assert prefixes == [f"Folder {f:02d}/" for f in range(40)]
    assert names == sorted(f"root-{i}.mp4" for i in range(45))
    names, prefixes = walk("Folder 03/", limit=30)
    assert prefixes == ["Folder 03/Trip.hls/"]
    assert len(names) == 100 and len(set(names)) == 100
    names, _ = walk("Folder 03/Trip.hls/", limit=1000)
    assert len(names) == 191


def test_model_delimiter_pagination_matches_brute_force():
    rng = random.Random(7)
    parts = ["a", "b", "a b", "ä", "z", "a/", "#", "%"]
    names = {
        "/".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) + str(i) for i in range(600)
    }
    model = FakeOCIModel()
    model.add_virtual_bucket("v", [(n, 1) for n in names])
    for prefix in ["", "a", "a/", "a b/", "z/"]:
        expected_objects = sorted(
            n for n in names if n.startswith(prefix) and "/" not in n[len(prefix) :]
        )
        expected_prefixes = sorted(
            {
                prefix + n[len(prefix) :].split("/")[0] + "/"
                for n in names
                if n.startswith(prefix) and "/" in n[len(prefix) :]
            }
        )
        for limit in [1, 3, 50, 1000]:
            got_objects, got_prefixes, start = [], [], None
            while True:
                page = model.list_objects(
                    "v", prefix=prefix, delimiter="/", start=start, limit=limit
                )
                got_objects += [o.name for o in page.objects]
                got_prefixes += page.prefixes
                start = page.next_start_with
                if start is None:
                    break
            assert got_objects == expected_objects, (prefix, limit)
            assert got_prefixes == expected_prefixes, (prefix, limit)


def test_list_start_end_and_start_after(client, server):
    for name in ["a", "b", "c", "d"]:
        server.model.put_object(BUCKET, name, b"")
    assert [o.name for o in client.list_objects(NS, BUCKET, start="b", end="d").data.objects] == [
        "b",
        "c",
    ]
    assert [o.name for o in client.list_objects(NS, BUCKET, start_after="b").data.objects] == [
        "c",
        "d",
    ]


def test_huge_virtual_bucket_top_level_listing_is_fast():
    model = FakeOCIModel()
    entries = (
        (f"Folder {f:03d}/Movie {m:02d}.hls/seg{s:05d}.ts", 1_000_000)
        for f in range(60)
        for m in range(30)
        for s in range(200)
    )
    model.add_virtual_bucket("huge", entries)
    assert len(model.object_names("huge")) == 360_000
    began = time.perf_counter()
    page = model.list_objects("huge", delimiter="/")
    assert page.prefixes == [f"Folder {f:03d}/" for f in range(60)] and page.next_start_with is None
    inner = model.list_objects("huge", prefix="Folder 042/", delimiter="/")
    assert len(inner.prefixes) == 30
    assert time.perf_counter() - began < 0.2
    chunk = b"".join(model.read_object("huge", "Folder 000/Movie 00.hls/seg00000.ts", 999_990))
    assert chunk == filler_bytes(999_990, 10)


# ---- pre-authenticated requests ----------------------------------------------------


def test_par_create_list_get_delete(client, server):
    client.put_object(NS, BUCKET, "a.mp4", b"a", content_type="video/mp4")
    created = [_create_par(client, f"par-{i}", "ObjectRead", "a.mp4") for i in range(5)]
    prefix_par = _create_par(client, "hls", "AnyObjectRead", "Trip.hls/", listing="Deny")
    assert all(ch in created[0].id for ch in "/+:")
    assert created[0].access_uri.startswith("/p/") and created[0].access_uri.endswith(
        f"/n/{NS}/b/{BUCKET}/o/a.mp4"
    )
    assert prefix_par.access_uri.endswith(f"/n/{NS}/b/{BUCKET}/o/")
    assert prefix_par.full_path == server.endpoint + prefix_par.access_uri
    assert prefix_par.bucket_listing_action == "Deny"

    all_pars = oci.pagination.list_call_get_all_results(
        client.list_preauthenticated_requests, NS, BUCKET, limit=2
    ).data
    assert sorted(p.id for p in all_pars) == sorted([p.id for p in created] + [prefix_par.id])
    assert server.model.counts["ListPreauthenticatedRequests"] == 3

    fetched = client.get_preauthenticated_request(NS, BUCKET, created[1].id).data
    assert fetched.name == "par-1" and fetched.object_name == "a.mp4"
    client.delete_preauthenticated_request(NS, BUCKET, created[1].id)
    assert created[1].id not in [p.id for p in server.model.pars(BUCKET)]
    with pytest.raises(oci.exceptions.ServiceError) as gone:
        client.get_preauthenticated_request(NS, BUCKET, created[1].id, retry_strategy=NO_RETRY)
    assert gone.value.status == 404


def test_object_par_reads_only_its_object(client, server):
    data = os.urandom(5000)
    client.put_object(NS, BUCKET, "Trips/beach.mp4", data, content_type="video/mp4")
    client.put_object(NS, BUCKET, "Trips/secret.mp4", b"nope", content_type="video/mp4")
    par = _create_par(client, "beach", "ObjectRead", "Trips/beach.mp4")
    url = _par_url(server, par)
    with httpx.Client() as http:  # one keep-alive connection for all of these
        whole = http.get(url)
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["access-control-allow-origin"] == "*"
        assert "content-range" in whole.headers["access-control-expose-headers"]
        assert whole.headers["content-type"] == "video/mp4"

        ranged = http.get(url, headers={"Range": "bytes=1000-"})
        assert ranged.status_code == 206 and ranged.content == data[1000:]
        assert ranged.headers["content-range"] == "bytes 1000-4999/5000"
        assert http.get(url, headers={"Range": "bytes=-10"}).content == data[-10:]
        assert http.get(url, headers={"Range": "bytes=9000-"}).status_code == 416
        assert http.head(url).headers["content-length"] == "5000"

        sibling = http.get(url.replace("beach.mp4", "secret.mp4"))
        assert sibling.status_code == 404
        assert sibling.json() == {"code": "NotAuthenticated", "message": "PAR does not exist"}
        assert http.get(url.rsplit("/o/", 1)[0] + "/o/").status_code == 404  # no listing

        preflight = http.options(
            url,
            headers={
                "Origin": "http://app",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "range",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "range" in preflight.headers["access-control-allow-headers"]
    assert server.model.counts["ParGet"] == 6 and server.model.counts["ParList"] == 1


def test_prefix_par_scope_and_listing(client, server):
    server.model.put_object(BUCKET, "Trip.hls/output.m3u8", b"#EXTM3U\n")
    server.model.put_object(BUCKET, "Trip.hls/seg 1.ts", b"\x47" * 188)
    server.model.put_object(BUCKET, "Other.hls/output.m3u8", b"#EXTM3U\n")
    par = _create_par(client, "trip", "AnyObjectRead", "Trip.hls/")
    playlist = httpx.get(_par_url(server, par, "Trip.hls/output.m3u8"))
    assert playlist.status_code == 200
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    segment = httpx.get(_par_url(server, par, "Trip.hls/seg 1.ts"))
    assert segment.content == b"\x47" * 188 and segment.headers["content-type"] == "video/mp2t"
    assert httpx.get(_par_url(server, par, "Other.hls/output.m3u8")).status_code == 404
    assert httpx.get(_par_url(server, par)).status_code == 404  # listing denied by default

    lister = _create_par(client, "list", "AnyObjectRead", "Trip.hls/", listing="ListObjects")
    listed = httpx.get(_par_url(server, lister), params={"fields": "name,size"})
    assert listed.status_code == 200
    assert [o["name"] for o in listed.json()["objects"]] == [
        "Trip.hls/output.m3u8",
        "Trip.hls/seg 1.ts",
    ]

    whole_bucket = _create_par(client, "all", "AnyObjectRead")
    assert httpx.get(_par_url(server, whole_bucket, "Other.hls/output.m3u8")).status_code == 200


def test_expired_pars_answer_404(client, server):
    server.model.put_object(BUCKET, "a.mp4", b"a")
    old = _create_par(
        client, "old", "ObjectRead", "a.mp4", expires=datetime.now(UTC) - timedelta(hours=1)
    )
    assert old.time_expires < datetime.now(UTC)  # the fake accepts a past expiry, for sweep tests
    assert httpx.get(_par_url(server, old)).status_code == 404
    live = _create_par(client, "live", "ObjectRead", "a.mp4")
    assert httpx.get(_par_url(server, live)).status_code == 200
    server.model.expire_par(live.id)
    expired = httpx.get(_par_url(server, live))
    assert expired.status_code == 404 and expired.json()["code"] == "NotAuthenticated"
    listed = client.list_preauthenticated_requests(NS, BUCKET).data
    assert sum(p.time_expires < datetime.now(UTC) for p in listed) == 2


def test_virtual_objects_through_par_have_inferred_types(server, oci_config):
    server.model.add_virtual_bucket(
        "v",
        [
            ("x.hls/output.m3u8", 100),
            ("x.hls/poster.jpg", 3000),
            ("x.hls/en.vtt", 10),
            ("x.hls/seg0.ts", 376),
        ],
    )
    client = oci.object_storage.ObjectStorageClient(oci_config, service_endpoint=server.endpoint)
    details = oci.object_storage.models.CreatePreauthenticatedRequestDetails(
        name="v", access_type="AnyObjectRead", time_expires=_future(), object_name="x.hls/"
    )
    par = client.create_preauthenticated_request(NS, "v", details).data
    expected = {
        "output.m3u8": "application/vnd.apple.mpegurl",
        "poster.jpg": "image/jpeg",
        "en.vtt": "text/vtt",
        "seg0.ts": "video/mp2t",
    }
    for leaf, content_type in expected.items():
        response = httpx.get(server.endpoint + par.access_uri + "x.hls/" + leaf)
        assert response.headers["content-type"] == content_type
    seg = httpx.get(
        server.endpoint + par.access_uri + "x.hls/seg0.ts", headers={"Range": "bytes=100-199"}
    )
    assert seg.status_code == 206 and seg.content == filler_bytes(100, 100)


# ---- multipart -------------------------------------------------------------------


def test_upload_manager_single_and_multipart(client, server, tmp_path):
    manager = oci.object_storage.UploadManager(
        client, allow_multipart_uploads=True, allow_parallel_uploads=True
    )
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(300_000))
    manager.upload_file(NS, BUCKET, "small.bin", str(small), part_size=1024 * 1024)
    assert (
        server.model.counts["PutObject"] == 1 and server.model.counts["CreateMultipartUpload"] == 0
    )

    big = tmp_path / "big.mp4"
    payload = os.urandom(3 * 1024 * 1024 + 12345)
    big.write_bytes(payload)
    response = manager.upload_file(
        NS, BUCKET, "Trips/big.mp4", str(big), part_size=1024 * 1024, content_type="video/mp4"
    )
    assert response.headers["opc-multipart-md5"].endswith("-4")
    counts = server.model.counts
    assert counts["CreateMultipartUpload"] == 1 and counts["UploadPart"] == 4
    assert counts["CommitMultipartUpload"] == 1
    assert server.model.get_object_bytes(BUCKET, "Trips/big.mp4") == payload
    head = client.head_object(NS, BUCKET, "Trips/big.mp4")
    assert head.headers["content-type"] == "video/mp4"
    assert head.headers["opc-multipart-md5"] == response.headers["opc-multipart-md5"]


def test_multipart_abort_and_list_parts(client, server):
    details = oci.object_storage.models.CreateMultipartUploadDetails(object="x.mp4")
    upload = client.create_multipart_upload(NS, BUCKET, details).data
    part = client.upload_part(NS, BUCKET, "x.mp4", upload.upload_id, 1, b"hello")
    assert part.headers["etag"] and part.headers["opc-content-md5"]
    parts = client.list_multipart_upload_parts(NS, BUCKET, "x.mp4", upload.upload_id).data
    assert [(p.part_number, p.size) for p in parts] == [(1, 5)]
    client.abort_multipart_upload(NS, BUCKET, "x.mp4", upload.upload_id)
    assert server.model.counts["AbortMultipartUpload"] == 1
    with pytest.raises(oci.exceptions.ServiceError) as late:
        client.upload_part(
            NS, BUCKET, "x.mp4", upload.upload_id, 2, b"late", retry_strategy=NO_RETRY
        )
    assert (late.value.status, late.value.code) == (404, "NoSuchUpload")


# ---- faults ------------------------------------------------------------------------


def test_two_503s_then_success_with_retries(client, server):
    server.model.inject_fault("GetNamespace", status=503, count=2)
    assert client.get_namespace(retry_strategy=FAST_RETRY).data == NS
    assert server.model.counts["GetNamespace"] == 3


def test_fault_without_retries_fails(client, server):
    server.model.inject_fault("ListObjects", status=503, count=1)
    with pytest.raises(oci.exceptions.ServiceError) as failed:
        client.list_objects(NS, BUCKET, retry_strategy=NO_RETRY)
    assert failed.value.status == 503 and failed.value.code == "ServiceUnavailable"
    assert client.list_objects(NS, BUCKET, retry_strategy=NO_RETRY).status == 200


def test_fault_forever_until_cleared(client, server):
    server.model.inject_fault(
        "HeadObject", status=500, count=None, code="InternalError", message="boom"
    )
    server.model.put_object(BUCKET, "a", b"a")
    for _ in range(3):
        with pytest.raises(oci.exceptions.ServiceError) as failed:
            client.head_object(NS, BUCKET, "a", retry_strategy=NO_RETRY)
        assert failed.value.status == 500, failed.value  # a HEAD answer has no body, no code
    server.model.clear_faults()
    assert client.head_object(NS, BUCKET, "a", retry_strategy=NO_RETRY).status == 200


def test_hang_exceeds_read_timeout(server, oci_config):
    impatient = oci.object_storage.ObjectStorageClient(
        oci_config, service_endpoint=server.endpoint, timeout=(2, 1)
    )
    server.model.inject_fault("GetNamespace", hang_seconds=3, count=1)
    began = time.monotonic()
    with pytest.raises(oci.exceptions.RequestException) as timed_out:
        impatient.get_namespace(retry_strategy=NO_RETRY)
    assert "timed out" in str(timed_out.value).lower()
    assert time.monotonic() - began < 2.5
    assert impatient.get_namespace(retry_strategy=NO_RETRY).data == NS


def test_latency_applies_to_every_request(client, server):
    server.model.latency_seconds = 0.05
    began = time.monotonic()
    for _ in range(3):
        client.get_namespace()
    assert time.monotonic() - began >= 0.15


# ---- Vault and Secrets -------------------------------------------------------------


def test_vault_list_and_bundles(server, oci_config):
    compartment = "ocid1.compartment.oc1..family"
    for name, value in {
        "username": "mum",
        "password": "s3cret!",
        "bucket": "movies",
        "redis-url": "rediss://cache:6379",
        "cookie-key": "k" * 32,
    }.items():
        server.model.add_secret(compartment, name, value)
    for i in range(120):
        server.model.add_secret(compartment, f"other-{i}", "x")
    vaults = oci.vault.VaultsClient(oci_config, service_endpoint=server.endpoint)
    secrets_client = oci.secrets.SecretsClient(oci_config, service_endpoint=server.endpoint)

    summaries = oci.pagination.list_call_get_all_results(vaults.list_secrets, compartment).data
    assert len(summaries) == 125 and server.model.counts["ListSecrets"] == 2
    by_name = {s.secret_name: s for s in summaries}
    assert by_name["password"].lifecycle_state == "ACTIVE"
    bundle = secrets_client.get_secret_bundle(by_name["password"].id).data
    assert isinstance(
        bundle.secret_bundle_content, oci.secrets.models.Base64SecretBundleContentDetails
    )
    assert base64.b64decode(bundle.secret_bundle_content.content).decode() == "s3cret!"
    assert bundle.stages == ["CURRENT", "LATEST"]

    server.model.add_secret(compartment, "password", "rotated")
    latest = secrets_client.get_secret_bundle(by_name["password"].id).data
    assert latest.version_number == 2
    assert base64.b64decode(latest.secret_bundle_content.content) == b"rotated"

    with pytest.raises(oci.exceptions.ServiceError) as wrong:
        vaults.list_secrets("ocid1.compartment.oc1..wrong", retry_strategy=NO_RETRY)
    assert wrong.value.status == 404 and wrong.value.code == "NotAuthorizedOrNotFound"


# ---- resource principals -----------------------------------------------------------


def test_resource_principal_signer_is_accepted(server, tmp_path, monkeypatch):
    for key, value in mint_resource_principal_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    signer = oci.auth.signers.get_resource_principals_signer()
    assert signer.tenancy_id == FAKE_TENANCY and signer.compartment_id == FAKE_COMPARTMENT
    client = oci.object_storage.ObjectStorageClient(
        {"region": signer.region}, signer=signer, service_endpoint=server.endpoint
    )
    assert client.get_namespace().data == NS
    client.put_object(NS, BUCKET, "rp.txt", b"rp", content_type="text/plain")
    records = server.model.requests("PutObject")
    assert records[-1].status == 200 and records[-1].key_id.startswith("ST$")
