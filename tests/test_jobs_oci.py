"""Uploads in the bucket becoming movies in the bucket: the real `oci` SDK against the fake
OCI server, real ffmpeg, the worker the app runs itself (no Redis)."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import unquote

import pytest
import redis as redis_py

from homemovies_core import library, services
from homemovies_core.jobs.model import IngestRequest, JobStatus
from homemovies_core.jobs.queue import NAMESPACE, QUEUE, queue_for
from tests.support.accounts import USER, family_login
from tests.support.jobs import wait_until
from tests.support.media import make_clip
from tests.support.oci_env import BUCKET, oci_settings
from tests.support.redis_server import start_redis, stop


@pytest.fixture
def app(server, config_path):
    svc = services.build(
        oci_settings(server.endpoint, config_path, *family_login()), announce=lambda _m: None
    )
    yield server.model, svc
    svc.jobs.stop()


def upload(model, upload_id: str, data: bytes, title: str) -> IngestRequest:
    """What the browser's multipart upload through a write PAR leaves in the bucket."""
    name = f".uploads/{upload_id}"
    model.put_object(BUCKET, name, data)
    return IngestRequest(upload_id, USER, "Family/", title, name, len(data), "IMG_7.MP4")


def final(svc, job_id: str):
    return wait_until(
        lambda: (s := svc.jobs.status(job_id)) is not None and s.finished and s, f"job {job_id}"
    )


def test_an_upload_in_the_bucket_becomes_a_movie_there(app, tmp_path):
    model, svc = app
    data = make_clip(tmp_path / "c.mp4", seconds=3).read_bytes()
    status = final(svc, svc.jobs.submit(upload(model, "oci-upload-1", data, "Lake")))
    assert (status.state, status.video_key) == ("ready", "Family/Lake.hls/")
    names = model.object_names(BUCKET)
    movie = [n for n in names if n.startswith("Family/Lake.hls/")]
    for part in ("output.m3u8", "poster.jpg", "thumbnails.vtt", "info.json", "original.mp4"):
        assert f"Family/Lake.hls/{part}" in movie, part
    assert model.get_object_bytes(BUCKET, "Family/Lake.hls/original.mp4") == data
    # The upload is removed once the movie is there: the status says "ready" first (a run cut
    # short between the two removes it when the job comes again), then the upload goes.
    wait_until(
        lambda: ".uploads/oci-upload-1" not in model.object_names(BUCKET), "the upload to go"
    )
    # The master playlist went up last: until then the movie could not start.
    puts = [r.path for r in model.requests("PutObject") if "Lake.hls" in r.path]
    assert puts[-1].endswith("output.m3u8")
    index = json.loads(model.get_object_bytes(BUCKET, "Family/.homemovies.json"))
    assert len(index["videos"]["Lake.hls/"]["sha256"]) == 64
    # The same video again, another day: no second movie.
    again = final(svc, svc.jobs.submit(upload(model, "oci-upload-2", data, "Lake again")))
    assert again.duplicate_of is not None and again.duplicate_of.key == "Family/Lake.hls/"
    assert not any(n.startswith("Family/Lake again") for n in model.object_names(BUCKET))


def test_the_bucket_failing_mid_job_makes_it_wait_and_resume(app, tmp_path):
    model, svc = app
    data = make_clip(tmp_path / "c.mp4", seconds=3, pattern="smptebars").read_bytes()
    model.inject_fault("PutObject", 503, count=None)  # every write fails until cleared
    job = svc.jobs.submit(upload(model, "oci-outage-1", data, "Storm"))
    waiting = wait_until(
        lambda: ((s := svc.jobs.status(job)).state == "waiting" and s.message or s.finished) and s,
        "the job to wait for the bucket (or to end)",
    )
    assert waiting.state == "waiting" and waiting.message == (
        "The library's storage cannot be written now; the video is added when it can be."
    )
    assert not any(n.endswith("Storm.hls/output.m3u8") for n in model.object_names(BUCKET))
    assert ".uploads/oci-outage-1" in model.object_names(BUCKET)  # nothing lost meanwhile
    model.clear_faults()
    status = final(svc, job)
    assert (status.state, status.video_key) == ("ready", "Family/Storm.hls/")
    assert "Family/Storm.hls/output.m3u8" in model.object_names(BUCKET)


def test_a_movie_being_added_is_not_listed_until_it_is_whole(app, tmp_path):
    """OCI has no rename: the bucket is looked at before each write of the job (the write
    waits meanwhile), as a page listing the folder then would see it."""
    model, svc = app
    data = make_clip(tmp_path / "c.mp4", seconds=3, pattern="rgbtestsrc").read_bytes()
    seen = []  # (the write about to happen, titles the folder lists, its processing cards)

    def look(operation: str, path: str) -> None:
        if operation not in ("PutObject", "DeleteObject"):
            return  # our own listing below, and the job's reads
        name = unquote(path.split("/o/", 1)[1])
        if name.startswith("Family/"):
            listed = library.videos_in("Family/", svc.storage.list_level("Family/"))
            cards = [(title, s.state) for title, s in svc.jobs.pending_in("Family/")]
            seen.append((operation, name, [v.title for v in listed], cards))

    model.before_request = look
    try:
        status = final(svc, svc.jobs.submit(upload(model, "oci-midway-1", data, "Pond")))
    finally:
        model.before_request = None
    assert (status.state, status.video_key) == ("ready", "Family/Pond.hls/")
    writes = [(operation, name) for operation, name, _titles, _cards in seen]
    assert writes[0] == ("PutObject", "Family/Pond.hls.incomplete")  # before the first object
    assert ("PutObject", "Family/Pond.hls/output.m3u8") in writes
    assert writes[-2:] == [
        ("PutObject", "Family/.homemovies.json"),  # whole, and in the folder's index
        ("DeleteObject", "Family/Pond.hls.incomplete"),  # and then listed
    ]
    for operation, name, titles, cards in seen:
        assert titles == [], f"listed before {operation} {name}"
        assert cards == [("Pond", "processing")], f"no processing card before {name}"
    shown = library.videos_in("Family/", svc.storage.list_level("Family/"))
    assert [(v.title, v.key) for v in shown] == [("Pond", "Family/Pond.hls/")]
    assert "Family/Pond.hls.incomplete" not in model.object_names(BUCKET)


def test_a_movie_whose_worker_died_at_its_last_step_is_shown_by_the_jobs_next_run(app, tmp_path):
    """Killed after the master playlist, before the folder's index and the marker's removal:
    the queue gives the job again, which finds the movie whole and finishes it."""
    model, svc = app
    data = make_clip(tmp_path / "c.mp4", seconds=2, pattern="smptebars").read_bytes()
    request = upload(model, "oci-died-01", data, "Dunes")
    assert final(svc, svc.jobs.submit(request)).state == "ready"
    model.put_object(BUCKET, "Family/Dunes.hls.incomplete", b"")  # as the killed run left it
    model.delete_object(BUCKET, "Family/.homemovies.json")
    assert library.videos_in("Family/", svc.storage.list_level("Family/")) == []
    svc.jobs.statuses.save(request, JobStatus("processing", 99))
    svc.jobs._queue().send(dataclasses.asdict(request))
    again = wait_until(
        lambda: (s := svc.jobs.status("oci-died-01")).finished and s, "the job's second run"
    )
    assert (again.state, again.video_key) == ("ready", "Family/Dunes.hls/")
    (shown,) = library.videos_in("Family/", svc.storage.list_level("Family/"))
    assert shown.key == "Family/Dunes.hls/"
    index = json.loads(model.get_object_bytes(BUCKET, "Family/.homemovies.json"))
    assert len(index["videos"]["Dunes.hls/"]["sha256"]) == 64


def test_a_buckets_jobs_wait_in_a_queue_no_local_librarys_worker_reads(
    server, config_path, tmp_path
):
    """One Redis shared by a bucket's app and a local library's worker: the worker must never
    take (and fail) the bucket's jobs. Which queue a message waits in decides who takes it."""
    proc, url = start_redis(tmp_path / "redis")
    try:
        svc = services.build(
            oci_settings(server.endpoint, config_path, *family_login(), "--redis_url", url),
            announce=lambda _m: None,
        )
        request = upload(server.model, "bucket-0001", b"not yet looked at", "Beach")
        svc.jobs.submit(request)
        waiting = redis_py.Redis.from_url(url)
        bucket_queue = queue_for("oci", svc.storage.scope)
        assert bucket_queue != QUEUE
        assert waiting.hlen(f"{NAMESPACE}:{bucket_queue}.msgs") == 1
        assert waiting.hlen(f"{NAMESPACE}:{QUEUE}.msgs") == 0  # a local worker's queue
        assert queue_for("oci", "ns/other-bucket") != bucket_queue
        svc.jobs.stop()
    finally:
        stop(proc)
