"""The job queue with a real redis-server, real worker processes and real ffmpeg: a worker
killed mid-encode, a real failure that fails once, a job delivered twice, Redis going away
in the middle."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from homemovies_core.jobs.model import IngestRequest, JobStatus
from homemovies_core.jobs.status import StatusStore
from homemovies_core.redis_cache import shared_only
from tests.support.accounts import USER, built_services
from tests.support.browser import free_port
from tests.support.clock import Clock
from tests.support.jobs import movies_in, read_only, uploaded, wait_until, worker_process
from tests.support.media import make_clip
from tests.support.prometheus import WORKERS_JOB, running_prometheus, scrape_config
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
    clip = make_clip(tmp_path / "long.mp4", seconds=12, size="1280x720")
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


def test_a_worker_that_lost_its_job_in_an_outage_stops_and_the_other_finishes_it(place, tmp_path):
    """What a Redis outage longer than the heartbeat (30 s) leaves behind, made at once: the
    first worker is frozen (its ffmpeg goes on), its lease runs out, the queue hands its job
    to another worker; then the first one runs again."""
    library, _uploads, _url, _proc, svc = place
    clip = make_clip(tmp_path / "long.mp4", seconds=12, size="1280x720")
    started = "Job lost-0001 started"
    with worker_process(tmp_path / "a.log", *flags(place)) as a:
        request = submit(place, "lost-0001", clip, "Kites", "kites.mp4")
        wait_until(lambda: svc.jobs.status("lost-0001").percent > 10, "the job to be encoding")
        with worker_process(tmp_path / "b.log", *flags(place)) as b:
            b.wait_for_line("ready")
            os.kill(a.pid, signal.SIGSTOP)
            try:
                svc.cache.delete("jobs:lease:lost-0001")  # ran out: nobody renewed it
                svc.jobs._queue().send(dataclasses.asdict(request))  # the heartbeat's redelivery
                b.wait_for_line(started)
            finally:
                os.kill(a.pid, signal.SIGCONT)
            wait_until(
                lambda: a.count("this run stops") or a.count("Job lost-0001 ended"),
                "the first worker to stop (or to finish)",
            )
            final = wait_until(lambda: finished(svc, "lost-0001"), "the job to finish")
            b.wait_for_line("Job lost-0001 ended")
    assert a.count("Another worker took over this job; this run stops.") == 1
    assert a.count("Job lost-0001 ended") == 0  # it wrote no status and removed nothing
    assert (final.state, final.video_key) == ("ready", "Family/Kites.hls/")
    assert movies_in(library / "Family") == ["Kites.hls"]


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


# -- what the operator sees: the queue counted, a worker's figures ----------------------------
def test_the_queue_is_counted_for_the_operator(place, tmp_path):
    _library, _uploads, _url, _proc, svc = place
    clip = make_clip(tmp_path / "c.mp4", seconds=1)
    clock = Clock()
    statuses = StatusStore(shared_only(svc.cache), clock=clock)  # the queue in Redis
    requests = {}
    for number, name in enumerate(("first", "running", "failed", "cancelled", "later")):
        source = uploaded(_uploads, f"census-{number:02d}", clip)
        requests[name] = IngestRequest(
            f"census-{number:02d}", USER, "Family", name, source, clip.stat().st_size, "c.mp4"
        )
        assert statuses.create(requests[name])
        clock.now += 60  # queued a minute apart
    statuses.save(requests["running"], JobStatus("processing", 40))
    statuses.save(requests["failed"], JobStatus("failed", message="Not a video."))
    assert statuses.cancel(requests["cancelled"].upload_id)
    clock.now += 600
    census = statuses.census()
    assert (census.queued, census.running, census.failed) == (2, 1, 1)  # first, later
    assert census.oldest_queued_seconds == 5 * 60 + 600  # "first", queued 5 minutes earlier
    # Started, then waiting for an outage to end: still queued since it was first queued.
    statuses.save(requests["first"], JobStatus("processing", 5))
    statuses.save(requests["first"], JobStatus("waiting", 5, message="Redis is down."))
    assert statuses.census().oldest_queued_seconds == 5 * 60 + 600
    statuses.save(requests["first"], JobStatus("ready", 100, video_key="Family/first.hls/"))
    statuses.save(requests["later"], JobStatus("failed", message="Cancelled."))  # as a worker
    assert statuses.census() == type(census)(0, 1, 1, 0.0)


def figures(port: int) -> dict[tuple[str, tuple], float]:
    """A worker's /metrics, as {(sample, labels): value}."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket listens on at `port` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def test_a_workers_figures_show_its_jobs_on_loopback_for_prometheus(place, tmp_path):
    _library, _uploads, _url, _proc, svc = place
    port = free_port()
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    notes = tmp_path / "notes.mp4"
    notes.write_text("Not a video at all.\n" * 20)
    done = ("hm_job_duration_seconds_count", ())
    failed = ("hm_jobs", (("state", "failed"),))
    queued = ("hm_jobs", (("state", "queued"),))
    with worker_process(tmp_path / "w.log", *flags(place), "--metrics_port", str(port)) as w:
        w.wait_for_line("ready")
        assert listening_addresses(port) == {"127.0.0.1"}  # no login: this machine only
        before = figures(port)
        assert before[done] == 0 and before[failed] == 0
        submit(place, "figures-01", clip, "Swing", "swing.mp4")
        wait_until(lambda: finished(svc, "figures-01"), "the first job to finish")
        assert figures(port)[done] == 1  # counted before the job says it ended
        submit(place, "figures-02", notes, "Notes", "notes.mp4")
        assert wait_until(lambda: finished(svc, "figures-02"), "the text file").state == "failed"
        now = figures(port)  # the queue is counted when asked
        assert (now[done], now[failed], now[queued]) == (2, 1, 0)
        assert now[("hm_jobs_oldest_queued_seconds", ())] == 0
        # A real Prometheus scrapes it with deploy/prometheus.yml's workers job.
        token = tmp_path / "token"
        token.write_text("t" * 64)
        config = scrape_config({"home-movies": [], WORKERS_JOB: [f"127.0.0.1:{port}"]}, token)
        with running_prometheus(tmp_path / "prometheus", config) as prometheus:
            prometheus.wait_for(f'up{{job="{WORKERS_JOB}"}} == 1')
            prometheus.wait_for(f'hm_job_duration_seconds_count{{job="{WORKERS_JOB}"}} == 2')
            prometheus.wait_for(f'hm_jobs{{job="{WORKERS_JOB}", state="failed"}} == 1')


def test_a_metrics_port_needs_one_process_and_a_free_port(place, tmp_path):
    args = [*flags(place), "--metrics_port"]
    with worker_process(tmp_path / "a.log", *args, "9109", "--processes", "2") as worker:
        assert worker.proc.wait() == 1
        assert worker.text() == (
            "worker: error: --metrics_port serves one process: give --threads N instead of "
            "--processes N (N jobs at once in one process).\n"
        )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with worker_process(tmp_path / "b.log", *args, str(port)) as worker:
            assert worker.proc.wait() == 1
            said = worker.text()
    assert said.startswith(f"worker: error: The figures cannot be served on 127.0.0.1:{port} (")
    assert said.endswith("); choose another --metrics_port or --metrics_host.\n")
