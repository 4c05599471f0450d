"""Our upload routes over a local library, in process with the real services: who may call
them, the tus protocol (offsets, chunk bounds, locks), resuming a file chosen again,
finishing (the job is queued) and cancelling, the sweep of abandoned partial files, and
Redis going away (the upload waits: one sentence, 503)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from homemovies_core import signing
from homemovies_core.cache import CacheUnavailable
from homemovies_core.uploads import Sweeper, policy
from homemovies_core.uploads.targets import TUS_CHUNK
from homemovies_core.users import hash_password
from tests.support.accounts import built_services
from tests.support.redis_server import start_redis, stop
from tests.support.uploads import TUS, Uploader

CLIP = os.urandom(3000)  # the bytes of an upload; the job's verdict on them is not tested here


def family(tmp_path, *extra: str):
    """Services over a library with a folder "Family", for mum (--username) and dad."""
    library = tmp_path / "library"
    (library / "Family").mkdir(parents=True)
    users = tmp_path / "users.yaml"
    users.write_text(
        "credentials:\n  usernames:\n    dad:\n      name: Dad\n"
        f"      password: '{hash_password('dad pass')}'\n"
    )
    return built_services(library, "--users_file", str(users), *extra)


@pytest.fixture
def svc(tmp_path):
    built = family(tmp_path)
    yield built
    built.jobs.stop()


def partial(svc, started: dict):
    return svc.jobs.placement.uploads / "partial" / started["id"]


# -- who may call --------------------------------------------------------------------------
def every_route(browser: Uploader, started: dict, token: str) -> list:
    """One request to each upload route, with `token` as the upload or page token."""
    h = {"X-HM-Upload": token}
    tus = {**h, **TUS, "Upload-Offset": "0"}
    base = f"/api/uploads/{started['id']}"
    http = browser.http
    return [
        http.get("/api/uploads", headers=h),
        http.post("/api/uploads", json={"name": "a.mp4", "size": 5, "modified": 1}, headers=h),
        http.post(f"{base}/link", headers=h),
        http.post(f"{base}/progress", json={"received": 1}, headers=h),
        http.post(f"{base}/complete", headers=h),
        http.delete(base, headers=h),
        http.head(started["tus_url"], headers=tus),
        http.patch(started["tus_url"], content=b"x", headers=tus),
        http.delete(started["tus_url"], headers=tus),
    ]


def test_strangers_share_viewers_and_other_people_get_nothing(svc):
    mum = Uploader(svc, "mum")
    started = mum.start("Birthday.mp4", len(CLIP)).json()
    assert mum.patch(started, 0, CLIP[:1000]).status_code == 204

    # A logged-out browser, with the real tokens even: 401, one sentence.
    stranger = Uploader(svc, None)
    for token in (mum.page, started["token"]):
        for answer in every_route(stranger, started, token):
            assert answer.status_code == 401
            if answer.request.method != "HEAD":
                assert "Log in to add videos." in answer.text
    # A share-link viewer holds a share token and no login: 401 too.
    from homemovies_core.library import Kind, Video

    video = Video("Family/clip.mp4", "Family/", "clip", Kind.PROGRESSIVE, "MP4")
    share_token, _share = svc.shares.create(video, owner="mum", lifetime=3600)
    assert {a.status_code for a in every_route(stranger, started, share_token)} == {401}

    # Dad, logged in, with his own page token or with mum's tokens: 403 on every route of
    # mum's upload, and her bytes stay hers.
    dad = Uploader(svc, "dad")
    for token in (dad.page, started["token"], mum.page):
        answers = every_route(dad, started, token)
        per_upload = answers[2:]
        assert {a.status_code for a in per_upload} == {403}
    assert partial(svc, started).stat().st_size == 1000
    assert [u["name"] for u in dad.listing()] == []  # his own list is empty
    assert [u["name"] for u in mum.listing()] == ["Birthday.mp4"]


def test_forged_and_expired_tokens_are_one_sentence(svc):
    mum = Uploader(svc, "mum")
    started = mum.start("Birthday.mp4", len(CLIP)).json()
    key = svc.key("upload")
    expired = signing.sign(key, {"u": "mum", "i": started["id"]}, time.time() - 1)
    other_id = signing.sign(key, {"u": "mum", "i": "someone-elses-id"}, time.time() + 60)
    forged = started["token"][:-4] + "AAAA"
    for token in (expired, forged, other_id, "", "é".encode() * 2500):
        answer = mum.http.head(started["tus_url"], headers={"X-HM-Upload": token, **TUS})
        assert answer.status_code == 403
        answer = mum.post({**started, "token": token}, "complete")
        assert answer.status_code == 403
        assert answer.json() == {
            "error": "This page has expired; reload it and choose the files again."
        }
    # An id that was never made (or has expired), with a token for it: 404, one sentence.
    ghost = {
        **started,
        "id": "ghost-id-123",
        "token": svc.uploads.tokens.upload("mum", "ghost-id-123", time.time()),
    }
    answer = mum.post(ghost, "complete")
    assert answer.status_code == 404 and "not on the server any more" in answer.json()["error"]


@pytest.mark.parametrize(
    ("flags", "user", "sentence"),
    [
        (("--no_uploads",), "mum", policy.OFF),
        (("--uploaders", "dad"), "mum", policy.NOT_YOU),
    ],
)
def test_the_operator_decides_who_may_add(tmp_path, flags, user, sentence):
    svc = family(tmp_path, *flags)
    try:
        browser = Uploader(svc, user)
        answer = browser.start("Birthday.mp4", 10)
        assert answer.status_code == 403 and answer.json() == {"error": sentence}
        assert svc.uploads.refusal(user) == sentence
        if "--uploaders" in flags:
            assert Uploader(svc, "dad").start("Birthday.mp4", 10).status_code == 201
    finally:
        svc.jobs.stop()


# -- the tus protocol ----------------------------------------------------------------------
def test_tus_offsets_and_bounds(svc):
    mum = Uploader(svc, "mum")
    started = mum.start("Birthday.mp4", len(CLIP)).json()
    options = mum.http.options(started["tus_url"])
    assert options.status_code == 204 and options.headers["tus-version"] == "1.0.0"
    assert "termination" in options.headers["tus-extension"]

    head = mum.head(started)
    assert (head.headers["upload-offset"], head.headers["upload-length"]) == ("0", str(len(CLIP)))
    assert mum.patch(started, 0, CLIP[:1000]).headers["upload-offset"] == "1000"
    # Not where the server's bytes end: 409, and nothing written.
    refused = mum.patch(started, 0, CLIP[:1000])
    assert refused.status_code == 409 and "has 1000 bytes" in refused.text
    # Past the declared size, or a chunk over 32 MiB announced: 413 before a byte is read.
    assert mum.patch(started, 1000, CLIP[1000:] + b"extra").status_code == 413
    huge = mum.patch(started, 1000, b"", **{"Content-Length": str(TUS_CHUNK + 1)})
    assert huge.status_code == 413
    assert mum.patch(started, 1000, b"x", **{"Content-Type": "text/plain"}).status_code == 415
    assert mum.patch(started, 1000, b"x", **{"Tus-Resumable": "0.2.2"}).status_code == 412
    assert mum.patch(started, 1000, b"x", **{"Upload-Offset": "-1"}).status_code == 400
    assert mum.patch(started, 1000, b"x", **{"Upload-Offset": "1e3"}).status_code == 400
    assert partial(svc, started).stat().st_size == 1000

    # Another request writing this upload (another tab, another replica): 423, retried.
    lock = svc.uploads.store.lock(started["id"], 60)
    assert mum.patch(started, 1000, CLIP[1000:2000]).status_code == 423
    svc.uploads.store.unlock(started["id"], lock)

    done = mum.patch(started, 1000, CLIP[1000:])
    assert done.status_code == 204 and done.headers["upload-offset"] == str(len(CLIP))
    # The last byte queued the job; the bytes moved out of partial/ for it.
    assert svc.jobs.status(started["id"]) is not None
    assert not partial(svc, started).exists()
    request = svc.jobs.statuses.request(started["id"])
    assert (request.owner, request.folder, request.title) == ("mum", "Family/", "Birthday")
    assert (svc.jobs.placement.uploads / request.source).read_bytes() == CLIP
    assert mum.post(started, "complete").status_code == 200  # again: still one job


def test_a_file_chosen_again_resumes_from_what_the_server_has(svc):
    mum = Uploader(svc, "mum")
    first = mum.start("Birthday.mp4", len(CLIP), modified=111).json()
    assert first["resumed"] is False
    mum.patch(first, 0, CLIP[:1234])
    again = mum.start("Birthday.mp4", len(CLIP), modified=111)
    assert again.status_code == 200
    resumed = again.json()
    assert (resumed["id"], resumed["resumed"], resumed["received"]) == (first["id"], True, 1234)
    assert mum.head(resumed).headers["upload-offset"] == "1234"
    # Same name and size but another file (another last-modified time): a new upload.
    other = mum.start("Birthday.mp4", len(CLIP), modified=222).json()
    assert other["id"] != first["id"] and other["received"] == 0
    mum.send(resumed, CLIP)
    # Chosen once more after it finished: the same upload, nothing to send.
    after = mum.start("Birthday.mp4", len(CLIP), modified=111).json()
    assert after["id"] == first["id"] and after["state"] in ("waiting", "processing", "failed")


def test_cancel_deletes_what_arrived(svc):
    mum = Uploader(svc, "mum")
    started = mum.start("Birthday.mp4", len(CLIP)).json()
    mum.patch(started, 0, CLIP[:100])
    assert mum.cancel(started).status_code == 204
    assert not partial(svc, started).exists()
    assert mum.listing() == []
    assert mum.head(started).status_code == 404


def test_the_sweep_deletes_partial_files_nobody_will_finish(svc):
    mum = Uploader(svc, "mum")
    live = mum.start("Birthday.mp4", len(CLIP)).json()
    mum.patch(live, 0, CLIP[:10])
    orphan = svc.jobs.placement.uploads / "partial" / "left-by-a-crash"
    orphan.write_bytes(b"half a video")
    long_ago = time.time() - 2 * 3600
    for path in (orphan, partial(svc, live)):
        os.utime(path, (long_ago, long_ago))
    done = Sweeper(svc.uploads.store, svc.uploads.target, "test").sweep()
    assert done == 1 and not orphan.exists()
    assert partial(svc, live).stat().st_size == 10  # an upload still open is kept


def test_while_redis_is_down_an_upload_waits(tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    svc = family(tmp_path, "--redis_url", url)
    try:
        mum = Uploader(svc, "mum")
        started = mum.start("Birthday.mp4", len(CLIP)).json()
        mum.patch(started, 0, CLIP[:500])
        proc.send_signal(signal.SIGSTOP)  # Redis stops answering (a network cut, a failover)
        try:
            answer = mum.patch(started, 500, CLIP[500:])
            assert answer.status_code == 503
            assert answer.text == str(CacheUnavailable())  # one sentence, no traceback
            assert mum.start("Other.mp4", 10).status_code == 503
        finally:
            proc.send_signal(signal.SIGCONT)
        assert partial(svc, started).stat().st_size == 500  # nothing lost, nothing half-made
        assert svc.cache.ping()  # what /health's background check does every few seconds
        mum.send(started, CLIP)
        assert svc.jobs.status(started["id"]) is not None
    finally:
        svc.jobs.stop()
        stop(proc)
