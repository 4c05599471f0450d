"""Uploads into a bucket: the app makes one write PAR per upload, the browser (here httpx, as
the uploader does) writes through it with Oracle's multipart protocol, the app checks what
arrived and queues the job; cancelled and abandoned uploads are aborted and their PARs
deleted. The real SDK against the fake OCI server; no video byte passes through the app."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from homemovies_core import services, settings
from homemovies_core.uploads import Sweeper
from tests.fake_oci import start_fake_oci, write_oci_config
from tests.support.oci_env import oci_app
from tests.support.uploads import Uploader

BUCKET = "movies"
MIB = 1024 * 1024
VIDEO = os.urandom(17 * MIB + 5)  # two parts of 16 MiB: the second one short


@pytest.fixture
def bucket(tmp_path):
    with start_fake_oci() as server:
        server.model.create_bucket(BUCKET)
        server.model.put_object(BUCKET, "Family/clip.mp4", b"an old movie")
        loaded = settings.load(oci_app(server.endpoint, write_oci_config(tmp_path), BUCKET), {}, [])
        svc = services.build(loaded, announce=lambda _m: None)
        try:
            yield server, svc
        finally:
            svc.jobs.stop()
            svc.storage.stop_background()


def begin(mum: Uploader, name: str = "Birthday.mp4", size: int = len(VIDEO)):
    """Start an upload and the multipart upload through its write PAR, as the page does:
    (the upload, the upload-specific URL, the PAR URL)."""
    started = mum.start(name, size)
    assert started.status_code == 201, started.text
    upload = started.json()
    link = mum.post(upload, "link")
    assert link.status_code == 200
    made = httpx.put(link.json()["url"], headers={"opc-multipart": "true"})
    assert made.status_code == 200
    origin = link.json()["url"].split("/p/")[0]
    return upload, origin + made.json()["accessUri"], link.json()


def send_parts(uri: str, data: bytes, numbers=(1, 2), part: int = 16 * MIB) -> None:
    for number in numbers:
        chunk = data[(number - 1) * part : number * part]
        assert httpx.put(f"{uri}{number}", content=chunk).status_code == 200


def test_the_browser_writes_straight_to_the_bucket_through_one_object_par(bucket):
    server, svc = bucket
    mum = Uploader(svc, "mum")
    upload, uri, link = begin(mum)
    assert upload["kind"] == "oci" and link["part_size"] == 16 * MIB
    par = next(p for p in server.model.pars(BUCKET) if p.name.startswith("hm:up:"))
    source = f".uploads/{upload['id']}.mp4"
    assert (par.access_type, par.object_name) == ("ObjectWrite", source)
    assert par.time_expires - datetime.now(UTC) <= timedelta(hours=24)
    # The app keeps the PAR's id, never its URL.
    kept = [svc.cache.get(k) for k in svc.cache.scan("upload:")]
    assert kept and all(par.id in v and "/p/" not in v for v in kept)

    send_parts(uri, VIDEO)
    assert mum.post(upload, "progress", {"received": len(VIDEO)}).status_code == 204
    assert httpx.post(uri).status_code == 200  # the browser commits
    done = mum.post(upload, "complete")
    assert done.status_code == 200 and done.json()["state"] in ("waiting", "processing", "failed")
    assert server.model.get_object_bytes(BUCKET, source) == VIDEO
    assert not [p for p in server.model.pars(BUCKET) if p.name.startswith("hm:up:")]
    assert svc.jobs.statuses.request(upload["id"]).source == source
    # Only the browser's PUTs carried the video; the app asked OCI for a HEAD and a PAR.
    assert sum(r.size for r in server.model.requests("ParUploadPart")) == len(VIDEO)


def test_what_arrived_short_fails_in_one_sentence_and_is_deleted(bucket):
    server, svc = bucket
    mum = Uploader(svc, "mum")
    upload, uri, _link = begin(mum)
    early = mum.post(upload, "complete")  # nothing committed yet: not all of it is there
    assert early.status_code == 409
    assert early.json() == {"error": "Not all of the video has arrived yet."}
    send_parts(uri, VIDEO, numbers=(1,))
    assert httpx.post(uri).status_code == 200  # committed with a part missing
    failed = mum.post(upload, "complete").json()
    assert failed["state"] == "failed"
    assert failed["label"] == (
        f"Failed: Only {16 * MIB} of {len(VIDEO)} bytes arrived; choose the file again."
    )
    assert f".uploads/{upload['id']}.mp4" not in server.model.object_names(BUCKET)
    assert svc.jobs.status(upload["id"]) is None  # nothing half-made is ever queued


def test_cancel_aborts_the_multipart_upload_and_deletes_the_par(bucket):
    server, svc = bucket
    mum = Uploader(svc, "mum")
    upload, uri, _link = begin(mum)
    send_parts(uri, VIDEO, numbers=(1,))
    assert mum.cancel(upload).status_code == 204
    assert server.model.list_uploads(BUCKET) == []
    assert not [p for p in server.model.pars(BUCKET) if p.name.startswith("hm:up:")]
    assert httpx.put(f"{uri}2", content=b"late").status_code == 404
    assert mum.listing() == []


def test_a_file_chosen_again_after_its_commit_is_finished_at_once(bucket):
    """The browser committed, then the tab closed before it could tell the app: choosing the
    file again finds the whole object there and queues it, sending nothing."""
    _server, svc = bucket
    mum = Uploader(svc, "mum")
    upload, uri, _link = begin(mum)
    send_parts(uri, VIDEO)
    assert httpx.post(uri).status_code == 200
    again = mum.start("Birthday.mp4", len(VIDEO)).json()
    assert again["id"] == upload["id"] and again["resumed"] is True
    assert again["state"] in ("waiting", "processing", "failed")
    assert svc.jobs.status(upload["id"]) is not None


def test_the_sweep_aborts_abandoned_uploads_and_deletes_their_pars(bucket):
    server, svc = bucket
    mum = Uploader(svc, "mum")
    # An upload whose page was closed long ago and whose record is gone (expired).
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    server.model.clock = lambda: long_ago
    gone, gone_uri, _ = begin(mum, "Gone.mp4")
    server.model.clock = lambda: datetime.now(UTC)
    svc.uploads.store.delete(svc.uploads.own("mum", gone["id"]))
    # One still going.
    live, live_uri, _ = begin(mum, "Live.mp4")
    send_parts(live_uri, VIDEO, numbers=(1,))

    done = Sweeper(svc.uploads.store, svc.uploads.target, svc.storage.scope).sweep()
    assert done == 2  # the abandoned multipart upload and its write PAR
    left = server.model.list_uploads(BUCKET)
    assert [u.object for u in left] == [f".uploads/{live['id']}.mp4"]
    assert httpx.put(f"{gone_uri}1", content=b"x").status_code == 404
    pars = [p.object_name for p in server.model.pars(BUCKET) if p.name.startswith("hm:up:")]
    assert pars == [f".uploads/{live['id']}.mp4"]
