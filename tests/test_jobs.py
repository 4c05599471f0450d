"""Uploads becoming movies through the worker the app runs itself when there is no Redis
(the ./run.sh demo): real ffmpeg, a real library folder, what the family then sees."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core.jobs.model import Duplicate, IngestRequest, JobStatus
from homemovies_core.uploads.policy import may_upload
from homemovies_core.web import routes
from tests.support.accounts import USER, built_services
from tests.support.jobs import movies_in, uploaded, wait_until
from tests.support.media import make_clip, tagged_clip

NOT_A_VIDEO = (
    "'{}' is not a video that can be played (it may be another kind of file, or damaged or cut "
    "short); nothing was added."
)


@pytest.fixture
def app(tmp_path):
    """(library, uploads folder, the app's services: no Redis, so its own worker)."""
    library, uploads = tmp_path / "library", tmp_path / "uploads"
    (library / "Family").mkdir(parents=True)
    svc = built_services(library, "--uploads_dir", str(uploads))
    yield library, uploads, svc
    svc.jobs.stop()


def add(app, upload_id, content, title, original, *, folder="Family", size=None, modified=None):
    _library, uploads, svc = app
    source = uploaded(uploads, upload_id, content)
    size = content.stat().st_size if size is None else size
    request = IngestRequest(upload_id, USER, folder, title, source, size, original, modified)
    return svc.jobs.submit(request)


def final(svc, job_id: str) -> JobStatus:
    return wait_until(
        lambda: (s := svc.jobs.status(job_id)) is not None and s.finished and s, f"job {job_id}"
    )


def test_an_upload_becomes_a_movie_with_the_phones_date_and_its_original(app, tmp_path):
    library, uploads, svc = app
    phone = tagged_clip(
        tmp_path / "IMG_0042.MOV", "com.apple.quicktime.creationdate=2023-07-14T16:02:11+0200"
    )
    job = add(app, "upload-0001", phone, "Beach day", "IMG_0042.MOV")
    titles = [title for title, status in svc.jobs.pending_in("Family/") if not status.finished]
    assert titles in (["Beach day"], [])  # its card, unless it is already done
    status = final(svc, job)
    assert status.state == "ready" and status.video_key == "Family/Beach day.hls/"
    assert svc.jobs.pending_in("Family/") == []
    # The family sees it as a normal movie: poster, seek previews, the phone's date.
    (video,) = svc.catalog.folder_view("Family/").videos
    assert (video.title, video.kind.value) == ("Beach day", "hls")
    assert video.recorded == datetime.fromisoformat("2023-07-14T16:02:11+02:00")
    movie = library / "Family" / "Beach day.hls"
    for part in ("output.m3u8", "poster.jpg", "thumbnails.vtt", "info.json"):
        assert (movie / part).is_file(), part
    assert (movie / "original.mov").read_bytes() == phone.read_bytes()
    info = json.loads((movie / "info.json").read_text())
    assert info["original"] == "original.mov" and len(info["sha256"]) == 64
    # The ladder is never above the source (a 240-line clip: one 240-line rendition).
    assert [r["height"] for r in info["renditions"]] == [240]
    # The upload is removed right after the status says "ready".
    wait_until(lambda: not (uploads / "partial" / "upload-0001").exists(), "the upload removed")


@pytest.mark.parametrize(
    ("name", "make", "size", "sentence"),
    [
        ("notes.mp4", lambda p: p.write_text("milk, eggs\n" * 100), None, NOT_A_VIDEO),
        ("empty.mp4", lambda p: p.write_bytes(b""), None,
         "'{}' is empty (0 bytes), so there is no video in it."),
        # A phone's file cut off mid-way (its index is at the end, as cameras write it).
        ("cut.mp4", lambda p: _cut(tagged_clip(p, faststart=False)), None, NOT_A_VIDEO),
        # Fewer bytes arrived than the upload announced.
        ("short.mp4", lambda p: make_clip(p, seconds=2), 10**7,
         "Only {size:,} of the 10,000,000 bytes of '{}' arrived; upload it again."),
    ],
)  # fmt: skip
def test_bad_uploads_fail_once_with_one_sentence(app, tmp_path, name, make, size, sentence):
    library, uploads, svc = app
    path = tmp_path / name
    make(path)
    status = final(svc, add(app, "bad-upload-1", path, "Odd", name, size=size))
    assert status.state == "failed"
    assert status.message == sentence.format(name, size=path.stat().st_size)
    assert movies_in(library / "Family") == []
    assert list((library / "Family").iterdir()) == []  # nothing half-made, no index entry


def _cut(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_the_same_video_again_is_no_second_movie(app, tmp_path):
    library, _uploads, svc = app
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    first = final(svc, add(app, "same-00001", clip, "Swing", "swing.mp4"))
    again = final(svc, add(app, "same-00002", clip, "Swing again", "IMG_1.mp4", folder="Other"))
    assert first.video_key == "Family/Swing.hls/"
    assert again == JobStatus(
        "ready", 100, video_key="Family/Swing.hls/",
        duplicate_of=Duplicate("Family/Swing.hls/", "Swing", "Family"), updated=again.updated,
    )  # fmt: skip
    assert movies_in(library / "Family") == ["Swing.hls"]
    assert not (library / "Other").exists()


def test_two_uploads_of_one_name_are_both_kept(app, tmp_path):
    library, _uploads, svc = app
    one = make_clip(tmp_path / "a.mp4", seconds=2, pattern="testsrc2")
    two = make_clip(tmp_path / "b.mp4", seconds=2, pattern="smptebars")
    jobs = [add(app, "name-00001", one, "Beach", "a.mp4"),
            add(app, "name-00002", two, "Beach", "b.mp4")]  # fmt: skip
    keys = [final(svc, job).video_key for job in jobs]
    assert keys == ["Family/Beach.hls/", "Family/Beach (2).hls/"]
    assert movies_in(library / "Family") == ["Beach (2).hls", "Beach.hls"]


def test_a_hostile_title_stays_a_name_inside_its_folder(app, tmp_path):
    library, _uploads, svc = app
    clip = make_clip(tmp_path / "c.mp4", seconds=2, pattern="rgbtestsrc")
    hostile = "../../etc/\u202epasswd\x00\x1b[31m" + "x" * 500
    status = final(svc, add(app, "hostile-001", clip, hostile, "c.mp4"))
    assert status.state == "ready"
    (name,) = movies_in(library / "Family")
    # Separators, NUL, the escape and the direction override gone; no leading dots (the
    # listing would hide the movie); 120 characters at most.
    assert name == "etc passwd[31m" + "x" * 106 + ".hls"
    assert [p.name for p in library.iterdir()] == ["Family"]


def test_a_cancelled_job_makes_nothing(app, tmp_path):
    library, uploads, svc = app
    busy = make_clip(tmp_path / "busy.mp4", seconds=8, size="640x360")
    later = make_clip(tmp_path / "later.mp4", seconds=2, pattern="smptebars")
    add(app, "busy-00001", busy, "Busy", "busy.mp4")
    job = add(app, "later-0001", later, "Later", "later.mp4")  # waits behind the first
    assert svc.jobs.cancel(job)
    status = final(svc, job)
    assert (status.state, status.message) == ("failed", "Cancelled.")
    final(svc, "busy-00001")
    wait_until(lambda: not (uploads / "partial" / "later-0001").exists(), "the upload removed")
    assert movies_in(library / "Family") == ["Busy.hls"]
    assert not svc.jobs.cancel("busy-00001")  # finished: nothing to cancel


def test_adding_is_off_with_one_sentence(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    svc = built_services(library, "--no_uploads")
    assert svc.jobs.unavailable_reason() == "Adding videos is turned off on this server."
    who = built_services(library, "--uploaders", "Mum, dad")
    assert who.jobs.unavailable_reason() is None
    assert may_upload(who.settings, "mum") and may_upload(who.settings, "Dad")
    assert not may_upload(who.settings, "kid")
    assert who.jobs.max_bytes == 20_000_000_000


def test_the_apps_metrics_count_its_own_workers_jobs(tmp_path):
    library, uploads = tmp_path / "library", tmp_path / "uploads"
    (library / "Family").mkdir(parents=True)
    token = "7" * 64
    svc = built_services(library, "--uploads_dir", str(uploads), "--metrics_token", token)
    client = TestClient(Starlette(routes=routes.build(svc)))

    def figures() -> dict[tuple[str, tuple], float]:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples
        }

    notes = tmp_path / "notes.mp4"
    notes.write_text("Not a video.\n" * 30)
    try:
        before = figures()
        app = (library, uploads, svc)
        jobs = [
            add(app, "metrics-0001", make_clip(tmp_path / "c.mp4", seconds=1), "Slide", "c.mp4"),
            add(app, "metrics-0002", notes, "Notes", "notes.mp4"),
        ]
        assert [final(svc, job).state for job in jobs] == ["ready", "failed"]
        after = figures()
    finally:
        svc.jobs.stop()
    done = ("hm_job_duration_seconds_count", ())
    assert after[done] - before[done] == 2  # the metrics are the process's: count the change
    assert after[("hm_jobs", (("state", "failed"),))] == 1
    assert after[("hm_jobs", (("state", "queued"),))] == 0
    assert after[("hm_jobs", (("state", "running"),))] == 0
