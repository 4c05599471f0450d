"""Adding videos in a real Chromium, with a real Redis, a real worker process and ffmpeg: two
videos from a phone-sized page to Ready and into the library; a tab closed in the middle of
a 200 MB upload resumed from another, sending only what was missing; bad input on the page;
then the same against a bucket (the fake OCI on another origin: CORS), where a closed browser
resumes with only the parts it had not sent."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import redis
from playwright.sync_api import expect

from homemovies_core.users import hash_password
from tests.fake_oci import start_fake_oci, write_oci_config
from tests.support.accounts import local_app
from tests.support.browser import CHROMIUM_ARGS, HEADLESS_SHELL, serving_app, wait_for_video
from tests.support.flows import card, heading, log_in_for_good, open_folder
from tests.support.jobs import wait_until, worker_process
from tests.support.media import make_clip
from tests.support.oci_env import oci_app
from tests.support.redis_server import start_redis, stop
from tests.support.upload_flows import READY_MS, choose, expect_state, open_add_videos, row

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MB = 1_000_000
BUCKET = "movies"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    make_clip(root / "Family" / "Old times.mp4", seconds=2)
    return root


@pytest.fixture(scope="module")
def app(library, redis_url, tmp_path_factory):
    """The app and one worker process, over the local library and Redis."""
    flags = ["--media_dir", str(library), "--redis_url", redis_url]
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with worker_process(log, *flags) as worker, serving_app(local_app(library, *flags[2:])) as url:
        worker.wait_for_line("ready")
        yield url


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as out:
        for _ in range(size // MB):
            out.write(os.urandom(MB))
        out.write(os.urandom(size % MB))
    return path


def test_two_videos_from_a_phone_to_ready(app, library, phone, tmp_path):
    beach = make_clip(tmp_path / "Beach.mp4", seconds=3, pattern="testsrc2")
    party = make_clip(tmp_path / "Party.mp4", seconds=3, pattern="smptebars")
    open_add_videos(phone, app)
    # A 390 px phone: nothing wider than the screen, the picker within reach.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    choose(phone, [beach, party], folder="Family")
    for name in ("Beach.mp4", "Party.mp4"):
        expect_state(phone, name, r"^.*Ready")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The whole file reached the library's disk once, through the app, in the right folder.
    assert sorted(p.name for p in (library / "Family").iterdir() if p.suffix == ".hls") == [
        "Beach.hls",
        "Party.hls",
    ]

    row(phone, "Party.mp4").get_by_role("link", name="Play: Party.mp4").click()
    expect(heading(phone, "Party")).to_be_visible(timeout=60_000)
    wait_for_video(phone, "v.currentTime > 0.3")
    download = phone.get_by_role("link", name="⬇ Download original")
    original = httpx.get(urljoin(app, download.get_attribute("href")))
    assert original.status_code == 200 and original.content == party.read_bytes()
    assert original.headers["content-disposition"] == 'attachment; filename="Party.mp4"'

    # The page can be left and reopened: the list is the server's.
    phone.goto(app + "/add")
    expect_state(phone, "Beach.mp4", r"Ready", timeout=60_000)
    # And a browser that is not logged in gets nothing from the upload routes.
    assert httpx.get(app + "/api/uploads").status_code == 401
    assert httpx.post(app + "/api/uploads", json={"name": "x.mp4", "size": 1}).status_code == 401


def test_a_closed_tab_resumes_with_only_the_missing_part(
    app, library, browser, redis_url, tmp_path
):
    big = random_file(tmp_path / "Long day.mp4", 200 * MB)
    first = browser.new_context()
    page = first.new_page()
    open_add_videos(page, app)
    choose(page, [big], folder="Family")
    partial_dir = library / ".uploads" / "partial"
    grown = wait_until(
        lambda: (
            next((p for p in partial_dir.iterdir() if p.stat().st_size > 40 * MB), None)
            if partial_dir.is_dir()
            else None
        ),
        "40 MB of the upload on the server",
    )
    first.close()  # the tab is gone mid-upload
    # Once the server has let go of the request it was reading (its lock in Redis is gone),
    # what it kept is final: tus resumes from exactly there.
    locks = redis.Redis.from_url(redis_url)
    wait_until(lambda: not locks.exists(f"upload-lock:{grown.name}"), "the cut request's end")
    kept = grown.stat().st_size
    assert 40 * MB < kept < 200 * MB

    second = browser.new_context()
    page = second.new_page()
    patches = []
    page.on(
        "request",
        lambda r: r.method == "PATCH" and "/api/uploads/tus/" in r.url and patches.append(r),
    )
    open_add_videos(page, app)
    expect_state(page, "Long day.mp4", r"Paused at \d+ %|Uploading", timeout=60_000)
    choose(page, [big], folder="Family")
    expect_state(page, "Long day.mp4", r"Failed: 'Long day.mp4' is not a video")
    offsets = [int(r.all_headers()["upload-offset"]) for r in patches]
    sent = sum(int(r.all_headers()["content-length"]) for r in patches)
    assert offsets[0] == kept  # from exactly where the server was
    assert sent == 200 * MB - kept  # and only the missing part
    second.close()


def test_bad_input_on_the_page_is_one_sentence(app, phone, tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", seconds=2, pattern="rgbtestsrc")
    files = [
        {"name": "notes.mp4", "mimeType": "video/mp4", "buffer": b"shopping list: milk\n" * 200},
        {"name": "empty.mp4", "mimeType": "video/mp4", "buffer": b""},
        {  # a right-to-left override, a control character, and 300 more letters
            "name": "Birthday\u202e4pm.exe\u0007" + "ü" * 300 + ".mp4",
            "mimeType": "video/mp4",
            "buffer": clip.read_bytes(),
        },
    ]
    open_add_videos(phone, app)
    choose(phone, files, folder="Family")
    expect_state(
        phone, "empty.mp4", r"^.*Failed: empty\.mp4 is empty \(0 bytes\): choose the video itself\."
    )
    expect_state(phone, "notes.mp4", r"Failed: 'notes\.mp4' is not a video")
    safe = "Birthday4pm.exe" + "ü" * 92 + ".mp4"  # 200 bytes of UTF-8 at most, then the extension
    expect_state(phone, safe, r"Ready")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_video_being_added_shows_in_its_folder_for_the_whole_family(browser, library, tmp_path):
    """Mum adds a video; until a worker has made it, Dad sees its card in the folder, with
    its state and nothing to play; then the movie's own card takes its place."""
    users = tmp_path / "users.yaml"
    users.write_text(
        "credentials:\n  usernames:\n    dad:\n      name: Dad\n"
        f"      password: '{hash_password('dad pass')}'\n"
    )
    proc, url = start_redis(tmp_path / "redis")  # a queue of its own: no other worker takes it
    flags = ["--redis_url", url, "--users_file", str(users)]
    clip = make_clip(tmp_path / "Picnic.mp4", seconds=2, pattern="mandelbrot")
    try:
        with serving_app(local_app(library, *flags)) as app_url:
            mum = browser.new_context().new_page()
            open_add_videos(mum, app_url)
            choose(mum, [clip], folder="Family")
            expect_state(mum, "Picnic.mp4", r"Waiting")  # no worker yet

            dad = browser.new_context().new_page()
            dad.goto(app_url)
            log_in_for_good(dad, "dad pass", "dad")
            open_folder(dad, "Family")
            pending = dad.get_by_role("list", name="Videos being added")
            expect(pending).to_contain_text("Picnic", timeout=60_000)
            expect(pending).to_contain_text("Waiting")
            expect(pending.get_by_role("link")).to_have_count(0)  # no player, nothing to open
            worker_flags = ["--media_dir", str(library), "--redis_url", url]
            with worker_process(tmp_path / "worker.log", *worker_flags):
                expect(card(dad, "Picnic")).to_be_visible(timeout=READY_MS)
                expect(pending).to_have_count(0)
            mum.context.close()
            dad.context.close()
    finally:
        stop(proc)


# -- a bucket --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bucket_app(library, tmp_path_factory):
    """The fake OCI (its own origin), the app on it, one worker, and a Redis of their own (a
    worker of the local library must not take these jobs): (app URL, fake server)."""
    redis_proc, redis_url = start_redis(tmp_path_factory.mktemp("bucket-redis"))
    with start_fake_oci() as server:
        server.model.create_bucket(BUCKET)
        old = (library / "Family" / "Old times.mp4").read_bytes()
        server.model.put_object(BUCKET, "Family/Old times.mp4", old)
        config = write_oci_config(tmp_path_factory.mktemp("oci"))
        flags = oci_app(server.endpoint, config, BUCKET, "--redis_url", redis_url)
        log = tmp_path_factory.mktemp("oci-worker") / "worker.log"
        worker_flags = [*flags[:6], "--redis_url", redis_url]
        with worker_process(log, *worker_flags) as worker, serving_app(flags) as url:
            worker.wait_for_line("ready")
            yield url, server
    stop(redis_proc)


def test_a_phone_uploads_straight_into_the_bucket(bucket_app, phone, tmp_path):
    url, server = bucket_app
    clip = make_clip(tmp_path / "Garden.mp4", seconds=3, pattern="testsrc")
    assert urlsplit(url).netloc != urlsplit(server.endpoint).netloc  # another origin: CORS
    app_bodies = []
    phone.on(
        "request",
        lambda r: (
            urlsplit(r.url).netloc == urlsplit(url).netloc
            and r.method in ("PUT", "PATCH")
            and app_bodies.append(r.url)
        ),
    )
    open_add_videos(phone, url)
    choose(phone, [clip], folder="Family")
    expect_state(phone, "Garden.mp4", r"Ready")
    assert app_bodies == []  # no video byte through the app
    assert sum(r.size for r in server.model.requests("ParUploadPart")) == clip.stat().st_size
    assert server.model.counts["CorsPreflight"] >= 2  # the browser asked, the fake granted
    assert any(n.startswith("Family/Garden.hls/") for n in server.model.object_names(BUCKET))
    assert not [p for p in server.model.pars(BUCKET) if p.name.startswith("hm:up:")]


def parts_remembered(page) -> set[int]:
    """The parts this browser's storage says are done, of the one upload it has under way."""
    found = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('homemovies.upload.'))"
        ".map(k => Object.keys(JSON.parse(localStorage.getItem(k)).done).map(Number))"
    )
    return set(found[0]) if found else set()


def test_a_closed_browser_resumes_into_the_bucket_with_only_the_missing_parts(
    bucket_app, browser, tmp_path
):
    url, server = bucket_app
    big = random_file(tmp_path / "Concert.mp4", 200 * MB)
    # The phone's browser: its storage (the upload URL, the parts done) outlives a closed tab.
    profile = {
        "user_data_dir": str(tmp_path / "profile"),
        "executable_path": HEADLESS_SHELL,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }
    server.model.latency_seconds = 0.2  # a slower network, so the close lands mid-upload
    try:
        first = browser.browser_type.launch_persistent_context(**profile)
        page = first.new_page()
        open_add_videos(page, url)
        choose(page, [big], folder="Family")
        wait_until(lambda: len(parts_remembered(page)) >= 3, "3 parts done, as the browser knows")
        first.close()
        server.model.latency_seconds = 0

        second = browser.browser_type.launch_persistent_context(**profile)
        page = second.new_page()
        open_add_videos(page, url, logged_in=True)
        done = parts_remembered(page)
        server.model.reset_counts()
        choose(page, [big], folder="Family")
        expect_state(page, "Concert.mp4", r"Failed: 'Concert\.mp4' is not a video")
        second.close()
    finally:
        server.model.latency_seconds = 0
    parts = -(-200 * MB // (16 * 1024 * 1024))
    sent = [
        int(r.path.rstrip("/").rsplit("/", 1)[1]) for r in server.model.requests("ParUploadPart")
    ]
    assert 0 < len(done) < parts
    assert sorted(sent) == sorted(set(range(1, parts + 1)) - done)  # only the missing parts
    assert server.model.requests("ParCreateMultipartUpload") == []  # the same upload, resumed
