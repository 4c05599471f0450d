"""The job queue with a real redis-server, real worker processes and real ffmpeg: a worker
killed mid-encode, a real failure that fails once, a job delivered twice, Redis going away
in the middle."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest
import redis

from homemovies_core.jobs.model import IngestRequest, JobStatus
from tests.support.accounts import USER, built_services
from tests.support.jobs import movies_in, read_only, uploaded, wait_until, worker_process
from tests.support.media import make_clip
from tests.support.redis_server import start_redis, stop

QUEUE_KEYS = ("homemovies-jobs:ingest.msgs", "homemovies-jobs:ingest.DQ.msgs")


@pytest.fixture
def place(tmp_path):
    """(library, uploads folder, Redis URL, the Redis process, the app's services)."""
    library, uploads = tmp_path / "library", tmp_path / "uploads"
    (library / "Family").mkdir(parents=True)
    proc, url = start_redis(tmp_path / "redis")
    svc = built_services(library, "--uploads_dir", str(uploads), "--redis_url", url)
    yield library, uploads, url, proc, svc
    stop(proc)


def flags(place) -> list[str]:
    library, uploads, url, _proc, _svc = place
    return ["--media_dir", str(library), "--uploads_dir", str(uploads), "--redis_url", url]


def submit(place, upload_id: str, content, title: str, original: str) -> IngestRequest:
    _library, uploads, _url, _proc, svc = place
    source = uploaded(uploads, upload_id, content)
    request = IngestRequest(
        upload_id, USER, "Family", title, source, content.stat().st_size, original
    )
    assert svc.jobs.submit(request) == upload_id
    return request


def finished(svc, job_id: str) -> JobStatus | None:
    status = svc.jobs.status(job_id)
    return status if status is not None and status.finished else None


def queue_drained(url: str) -> bool:
    """Nothing waits in the queue, is delayed for a retry, or is held by a worker."""
    client = redis.Redis.from_url(url)
    return all(client.hlen(key) == 0 for key in QUEUE_KEYS)


def test_a_worker_killed_mid_encode_leaves_its_job_to_another(place, tmp_path):
    library, uploads, url, _proc, svc = place
    clip = make_clip(tmp_path / "long.mp4", seconds=20, size="1280x720")
    with (
        worker_process(tmp_path / "a.log", *flags(place)) as a,
        worker_process(tmp_path / "b.log", *flags(place)) as b,
    ):
        a.wait_for_line("ready")
        b.wait_for_line("ready")
        submit(place, "killed-0001", clip, "Birthday", "IMG_0001.MOV")
        started = "Job killed-0001 started"
        first = wait_until(lambda: next((w for w in (a, b) if w.count(started)), None),
                           "a worker to take the job")  # fmt: skip
        other = b if first is a else a
        wait_until(
            lambda: (
                (s := svc.jobs.status("killed-0001")).state == "processing" and 10 < s.percent < 90
            ),
            "the job to be encoding",
        )
        first.kill()
        killed_at = time.monotonic()
        wait_until(lambda: other.count(started), "the other worker to take the job over")
        taken_over_after = time.monotonic() - killed_at
        final = wait_until(lambda: finished(svc, "killed-0001"), "the job to finish")
        wait_until(lambda: queue_drained(url), "the queue to be empty")
    print(f"taken over {taken_over_after:.1f} s after SIGKILL")
    # The property itself: no person acts, and the job goes on within 2 minutes (the
    # heartbeat timeout is 30 s; see jobs/queue.py).
    assert taken_over_after < 120
    assert final == JobStatus("ready", 100, video_key="Family/Birthday.hls/", updated=final.updated)
    assert movies_in(library / "Family") == ["Birthday.hls"]
    movie = library / "Family" / "Birthday.hls"
    assert (movie / "output.m3u8").is_file()
    assert (movie / "original.mov").read_bytes() == clip.read_bytes()
    assert not (uploads / "partial" / "killed-0001").exists()
    assert other.count(started) == 1 and first.count(started) == 1


def test_a_text_file_named_mp4_fails_once_with_its_sentence(place, tmp_path):
    library, _uploads, url, _proc, svc = place
    notes = tmp_path / "notes.mp4"
    notes.write_text("Shopping list: milk, eggs, a birthday cake.\n" * 50)
    with worker_process(tmp_path / "w.log", *flags(place)) as worker:
        submit(place, "text-00001", notes, "notes", "notes.mp4")
        # Done with (failed, nothing left in the queue), or tried again: either ends the
        # wait, and only the first passes.
        wait_until(
            lambda: (
                (finished(svc, "text-00001") and queue_drained(url))
                or worker.count("Job text-00001 started") > 1
            ),
            "the job to be done with",
        )
        assert worker.count("Job text-00001 started") == 1
        final = svc.jobs.status("text-00001")
    assert final.state == "failed"
    assert final.message == (
        "'notes.mp4' is not a video that can be played (it may be another kind of file, or "
        "damaged or cut short); nothing was added."
    )
    assert movies_in(library / "Family") == []


def test_a_job_delivered_twice_makes_one_movie(place, tmp_path):
    library, uploads, url, _proc, svc = place
    clip = make_clip(tmp_path / "clip.mp4", seconds=3)
    with worker_process(tmp_path / "w.log", *flags(place)) as worker:
        request = submit(place, "twice-0001", clip, "Picnic", "picnic.mp4")
        assert svc.jobs.submit(request) == "twice-0001"  # the same upload again: no new job
        first = wait_until(lambda: finished(svc, "twice-0001"), "the job to finish")
        wait_until(lambda: queue_drained(url), "the queue to be empty")
        assert worker.count("Job twice-0001 started") == 1
        # Its worker died after publishing, before it could say so: the queue delivers the
        # job again (as it does after a heartbeat timeout), with the upload already gone.
        svc.jobs.statuses.save(request, JobStatus("processing", 95))
        svc.jobs._queue().send(dataclasses.asdict(request))
        wait_until(lambda: worker.count("Job twice-0001 ended") == 2, "the second run")
        second = wait_until(lambda: finished(svc, "twice-0001"), "the job to finish again")
    assert first.state == second.state == "ready"
    assert first.video_key == second.video_key == "Family/Picnic.hls/"
    assert movies_in(library / "Family") == ["Picnic.hls"]
    assert not (uploads / "partial" / "twice-0001").exists()


def test_redis_going_away_mid_job_waits_and_resumes(place, tmp_path):
    library, _uploads, url, proc, svc = place
    clip = make_clip(tmp_path / "long.mp4", seconds=12, size="1280x720")
    folder = library / "Family"

    def nothing_half_made() -> bool:
        for name in movies_in(folder):
            assert (folder / name / "output.m3u8").is_file(), f"{name} is listed half-made"
        return True

    with worker_process(tmp_path / "w.log", *flags(place)) as worker:
        submit(place, "outage-001", clip, "Garden", "garden.mp4")
        wait_until(lambda: svc.jobs.status("outage-001").percent > 10, "the job to be encoding")
        os.kill(proc.pid, signal.SIGSTOP)  # Redis stops answering (a network outage)
        try:
            # The encode goes on; the job then waits for Redis before it says it is done.
            wait_until(
                lambda: nothing_half_made() and worker.count("Waiting for Redis"),
                "the job to wait for Redis",
            )
            nothing_half_made()
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        final = wait_until(lambda: finished(svc, "outage-001"), "the job to finish")
        wait_until(lambda: queue_drained(url), "the queue to be empty")
        encodes = worker.count("Job outage-001: encoding.")
    assert final.state == "ready" and final.video_key == "Family/Garden.hls/"
    assert encodes == 1  # it resumed where it was: the encode went on through the outage
    assert movies_in(folder) == ["Garden.hls"]
    nothing_half_made()


def test_a_read_only_media_folder_takes_new_movies_in_the_uploads_folder(place, tmp_path):
    library, uploads, url, _proc, svc = place
    make_clip(library / "Family" / "Old swing.mp4", seconds=2, pattern="smptebars")
    before = sorted(p.name for p in (library / "Family").iterdir())
    clip = make_clip(tmp_path / "new.mp4", seconds=2)
    # The worker sees the media folder as `:ro` in deploy/compose.yaml mounts it.
    with worker_process(tmp_path / "w.log", *flags(place), wrapper=read_only(library)):
        submit(place, "readonly-01", clip, "New slide", "new.mp4")
        status = wait_until(lambda: finished(svc, "readonly-01"), "the job to finish")
    assert (status.state, status.video_key) == ("ready", "Family/New slide.hls/")
    assert sorted(p.name for p in (library / "Family").iterdir()) == before  # untouched
    assert (uploads / "library" / "Family" / "New slide.hls" / "output.m3u8").is_file()
    # The app lists both folders as one library, with the new movie's date from the index.
    shown = {v.title: v for v in svc.catalog.folder_view("Family/").videos}
    assert sorted(shown) == ["New slide", "Old swing"]
    assert shown["New slide"].duration == pytest.approx(2.0, abs=0.1)


def test_without_a_writable_place_adding_is_off_with_one_sentence(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    proc, url = start_redis(tmp_path / "redis")
    try:
        args = ["--media_dir", str(library), "--redis_url", url]
        with worker_process(tmp_path / "w.log", *args, wrapper=read_only(library)) as worker:
            assert worker.proc.wait() == 1
            said = worker.text()
    finally:
        stop(proc)
    assert said == (
        "worker: error: Adding videos is off: the library folder is read-only for the app, and "
        "no writable uploads folder is configured (--uploads_dir).\n"
    )
