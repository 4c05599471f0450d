"""The HTTP edge, in process: bounded bodies, odd input, what /video serves and how, the
security headers, /health from a background status, and URLs that show no folder names.

The same attacks against the real `streamlit run` server are in tests/attacks/.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, unquote, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from homemovies_core import health, links, services
from homemovies_core.cache import LocalCache
from homemovies_core.library import Kind, Video
from homemovies_core.pars import PlaybackUrls
from homemovies_core.storage import local_routes
from homemovies_core.storage.local import LocalStorage
from homemovies_core.web import bodies, headers, login_routes, routes
from tests.support.accounts import built_services


# -- bounded bodies --------------------------------------------------------------------------
def _request(headers: dict[str, str], chunks: list[bytes], received: list[int]) -> Request:
    """A request whose body arrives in `chunks`; `received` counts what the app asked for."""
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive():
        received.append(1)
        return messages[len(received) - 1]

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/progress",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    return Request(scope, receive)


def _run_apart(coroutine):
    # A thread of its own: in a full run, Playwright's sync API already runs an event loop
    # in this thread, and asyncio.run refuses to start a second one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _read(request: Request, limit: int = 4096) -> bytes:
    return _run_apart(bodies.read_body(request, limit))


def test_a_declared_size_over_the_limit_is_refused_before_reading_a_byte():
    received: list[int] = []
    with pytest.raises(bodies.BodyError) as refused:
        _read(_request({"Content-Length": str(300 * 2**20)}, [b"x" * 1024], received))
    assert refused.value.status == 413 and received == []


def test_a_chunked_body_stops_being_read_at_the_limit():
    received: list[int] = []
    chunks = [b"x" * 1024] * 10_000  # 10 MB on offer, no declared size
    with pytest.raises(bodies.BodyError) as refused:
        _read(_request({"Transfer-Encoding": "chunked"}, chunks, received))
    assert refused.value.status == 413 and len(received) == 5  # 4 KB, then one chunk past it


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "٣", "9" * 40])
def test_a_malformed_declared_size_is_a_bad_request(length):
    with pytest.raises(bodies.BodyError) as refused:
        _read(_request({"Content-Length": length}, [b"{}"], []))
    assert refused.value.status == 400


def test_a_small_body_is_read_whole():
    assert _read(_request({}, [b'{"a":', b"1}"], [])) == b'{"a":1}'


# -- the app's routes, in process ------------------------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge-lib")
    movie = root / "Family" / "Trip.hls"
    (movie / "v0").mkdir(parents=True)
    (movie / "output.m3u8").write_text("#EXTM3U\n")
    (movie / "v0" / "seg.ts").write_bytes(b"\x47" * 188)
    (movie / "subs.en.vtt").write_text("WEBVTT\n")
    (movie / "evil.html").write_text("<script>alert(document.cookie)</script>")
    (movie / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    (movie / "evil").write_text("<script>alert(1)</script>")
    (root / "Family" / "Old tape.avi").write_bytes(b"RIFF")
    built = built_services(root)
    services.install(built)
    try:
        http = TestClient(
            Starlette(routes=routes.build(built), middleware=routes.middleware()),
            raise_server_exceptions=True,
        )
        yield http, built
    finally:
        services.install(None)


def _hls(svc):
    return svc.storage.grant("Family/Trip.hls/", prefix=True, expires_at=time.time() + 600)


def raw_get(asgi_app, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written, as a server hands it to the app. (TestClient's httpx
    collapses "a/../b" before sending, so a ".." would never reach the route; the attack
    suite's raw_get does the same against the real server.)"""
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": unquote(path), "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }  # fmt: skip
    sent: list[dict] = []
    asked: list[bool] = []

    async def receive() -> dict:
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays until the answer is complete
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    _run_apart(asgi_app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize(
    ("name", "status"),
    [("evil.html", 404), ("evil.svg", 404), ("evil", 404), ("../Old tape.avi", 403)],
)
def test_only_media_is_served_under_a_folder_grant(app, name, status):
    """Not a document planted in the folder (no media type: 404), nor a video beside the
    folder reached with "..": the grant is for Trip.hls/ only (403, like any bad link)."""
    http, svc = app
    answer, body = raw_get(http.app, urlsplit(_hls(svc).url).path + quote(name))
    assert answer == status and b"script" not in body and b"RIFF" not in body


def test_media_comes_sandboxed_and_nosniffed(app):
    http, svc = app
    grant = _hls(svc)
    for name, kind in (
        ("output.m3u8", "application/vnd.apple.mpegurl"),
        ("v0/seg.ts", "video/mp2t"),
        ("subs.en.vtt", "text/vtt"),
    ):
        answer = http.get(grant.url_for("Family/Trip.hls/" + name))
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith(kind)
        assert answer.headers["content-security-policy"] == local_routes.VIDEO_CSP
        assert local_routes.VIDEO_CSP.startswith("sandbox; default-src 'none';")
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_download_only_video_is_an_attachment(app):
    http, svc = app
    grant = svc.storage.grant("Family/Old tape.avi", prefix=False, expires_at=time.time() + 600)
    answer = http.get(grant.url)
    assert answer.status_code == 200 and answer.content == b"RIFF"
    assert answer.headers["content-type"] == "video/x-msvideo"
    assert answer.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize("token", ["%C3%A9.%C3%A9", "%E2%80%A8", "x" * 5000, "%00", "a.b", "..."])
def test_odd_video_tokens_are_refused(app, token):
    http, _svc = app
    assert http.get(f"/video/{token}/output.m3u8").status_code == 403


@pytest.mark.parametrize(
    "report, status",
    [
        ({"token": "é.é", "position": 1}, 403),  # was a TypeError in hmac.compare_digest: 500
        ({"token": ["é"], "position": 1}, 403),
        ({"token": None, "position": 1}, 403),
    ],
)
def test_odd_progress_tokens_are_refused(app, report, status):
    http, _svc = app
    assert http.post("/api/progress", json=report).status_code == status


def test_odd_progress_numbers_are_bad_requests(app):
    http, _svc = app
    token = services.get().progress.token("mum", "Family/Trip.hls/")
    # 10**400 is valid JSON but no float: math.isfinite raised OverflowError (a 500).
    for position in ("1" + "0" * 400, "-1" + "0" * 400, "1e400", '"12"', "true", "null"):
        body = f'{{"token": "{token}", "position": {position}}}'
        assert http.post("/api/progress", content=body).status_code == 400, position
    # 2,000 nested arrays fit in 4 KB and raised RecursionError in the JSON parser (a 500).
    assert http.post("/api/progress", content=b"[" * 2000 + b"]" * 2000).status_code == 400
    assert http.post("/api/progress", content=b"x" * 5000).status_code == 413
    assert (
        http.post("/api/progress", content=b"{}", headers={"Content-Length": "huge"}).status_code
        == 400
    )


# -- security headers -------------------------------------------------------------------------
def _headers_app() -> TestClient:
    async def page(_request):
        return HTMLResponse("<!doctype html><title>app</title>")

    async def data(_request):
        return JSONResponse({"ok": True})

    async def echo(websocket):
        await websocket.accept()
        await websocket.send_text("you said " + await websocket.receive_text())
        await websocket.close()

    return TestClient(
        Starlette(
            routes=[
                Route("/shared", page),
                Route("/component/cookie_manager/index.html", page),
                Route("/health", data),
                WebSocketRoute("/_stcore/stream", echo),
            ],
            middleware=headers.middleware(trusted_proxies=[]),
        )
    )


def test_every_response_gets_nosniff_and_no_referrer():
    http = _headers_app()
    for path in ("/shared?t=secret", "/health", "/missing"):
        answer = http.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path


def test_pages_cannot_be_framed_but_component_frames_can_by_the_app_itself():
    http = _headers_app()
    page = http.get("/shared?t=secret")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers.get_list("content-security-policy") == [
        "frame-ancestors 'none'",
        headers.media_policy(None),
    ]
    frame = http.get("/component/cookie_manager/index.html")
    assert frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert frame.headers.get_list("content-security-policy")[0] == "frame-ancestors 'self'"
    assert "x-frame-options" not in http.get("/health").headers  # not a page


def test_websockets_pass_the_header_middleware_untouched():
    with _headers_app().websocket_connect("/_stcore/stream") as socket:
        socket.send_text("hello")
        assert socket.receive_text() == "you said hello"


# -- /health -----------------------------------------------------------------------------------
class BlockingProbe:
    """Answers True once, then blocks (like a Redis that stopped answering) until released."""

    def __init__(self):
        self.calls = 0
        self.blocked = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> bool:
        self.calls += 1
        if self.calls == 1:
            return True
        self.blocked.set()
        self.release.wait()
        return False


def test_health_status_is_read_while_the_probe_hangs():
    probe = BlockingProbe()
    monitor = health.HealthMonitor(probe, interval=0)
    assert monitor.latest() is None  # before the first answer
    monitor.start()
    assert monitor.wait_first(30)
    assert probe.blocked.wait(30)  # the second probe is hanging now
    assert monitor.latest().reachable is True  # ... and the last answer is still there
    assert probe.calls == 2
    monitor.stop()
    probe.release.set()


def test_a_probe_hanging_for_long_counts_as_unreachable():
    now = [1000.0]
    probe = BlockingProbe()
    monitor = health.HealthMonitor(probe, interval=0, stale_after=15, timer=lambda: now[0])
    monitor.start()
    assert probe.blocked.wait(30)
    assert monitor.latest().reachable is True
    now[0] += 16
    assert monitor.latest().reachable is False
    monitor.stop()
    probe.release.set()


def test_health_route_says_starting_until_the_first_check(app):
    _http, svc = app
    monitor = health.HealthMonitor(LocalCache().ping)  # not started yet
    http = TestClient(Starlette(routes=routes.build(dataclasses.replace(svc, health=monitor))))
    answer_before = http.get("/health")
    monitor.start()
    assert monitor.wait_first(30)
    answer_after = http.get("/health")
    monitor.stop()
    assert answer_before.status_code == 503 and answer_before.json()["status"] == "starting"
    assert answer_after.status_code == 200
    assert answer_after.json() == {
        "status": "ok",
        "storage": "local",
        "cache": "local",
        "cache_reachable": True,
    }


# -- playback URLs show no folder names -------------------------------------------------------
def test_local_playback_urls_name_no_folders(tmp_path):
    movie = tmp_path / "Private folder" / "Trip.hls"
    movie.mkdir(parents=True)
    (movie / "output.m3u8").write_text("#EXTM3U\n")
    (movie / "en.vtt").write_text("WEBVTT\n")
    (tmp_path / "Private folder" / "Beach.mp4").write_bytes(b"mp4")
    storage = LocalStorage(tmp_path, b"k" * 32)
    urls = PlaybackUrls(storage, LocalCache(), ttl_seconds=3600, min_remaining_seconds=60)
    hls = Video(
        key="Private folder/Trip.hls/",
        folder="Private folder/",
        title="Trip",
        kind=Kind.HLS,
        badge="HLS",
    )
    mp4 = Video(
        key="Private folder/Beach.mp4",
        folder="Private folder/",
        title="Beach",
        kind=Kind.PROGRESSIVE,
        badge="MP4",
    )
    playlist = urls.video_url(hls)
    subtitle = urls.object_url("Private folder/Trip.hls/en.vtt", within=hls)
    single = urls.video_url(mp4)
    for url in (playlist, subtitle, single):
        assert "Private" not in url and "Trip" not in url, url
    assert playlist.endswith("/output.m3u8") and subtitle.endswith("/en.vtt")
    assert single.endswith("/Beach.mp4")
    token = playlist.split("/")[2]
    assert storage.authorize(token, "output.m3u8") is not None
    assert urls.video_url(hls) == playlist  # the grant is reused, as before


def test_a_cached_grant_from_before_relative_urls_is_issued_anew(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "b.mp4").write_bytes(b"mp4")
    storage = LocalStorage(tmp_path, b"k" * 32)
    cache = LocalCache()
    urls = PlaybackUrls(storage, cache, ttl_seconds=3600, min_remaining_seconds=60)
    old = {"url": "/video/old/A/b.mp4", "exp": time.time() + 3000, "id": "x"}  # no "rel"
    cache.set(urls.cache_key("A/b.mp4"), json.dumps(old), 3000)
    assert urls.grant("A/b.mp4", prefix=False).url.endswith("/b.mp4")
    assert urls.grant("A/b.mp4", prefix=False).url != "/video/old/A/b.mp4"


# -- forwarded headers are believed from trusted proxies only ---------------------------------
def _peer_request(peer: str, proto: str) -> Request:
    scope = {
        "type": "http",
        "scheme": "http",
        "method": "POST",
        "path": "/auth/session",
        "query_string": b"",
        "server": ("films.example", 80),
        "client": (peer, 50000),
        "headers": [(b"host", b"films.example"), (b"x-forwarded-proto", proto.encode())],
    }
    return Request(scope)


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_same_host_proxy_is_believed_about_https_only_when_named(peer):
    # ::ffff:127.0.0.1 was untrusted for the cookie, and loopback for our own links.
    headers = {"Host": "films.example", "X-Forwarded-Proto": "https"}
    for proxies, scheme in (([], "http"), (["127.0.0.1", "::1"], "https")):
        assert login_routes.is_https(_peer_request(peer, "https"), proxies) is (scheme == "https")
        assert links.base_url(None, "", headers=headers, peer=peer, trusted_proxies=proxies) == (
            f"{scheme}://films.example"
        )


def test_forwarded_proto_is_believed_right_most_and_from_trusted_proxies_only():
    assert not login_routes.is_https(_peer_request("203.0.113.1", "https"), [])
    assert not login_routes.is_https(_peer_request("10.0.0.2", "https, http"), ["10.0.0.0/8"])
    headers = {"Host": "films.example", "X-Forwarded-Proto": "https"}
    base = links.base_url(None, "", headers=headers, peer="203.0.113.1", trusted_proxies=[])
    assert base == "http://films.example"
    headers["X-Forwarded-Proto"] = "https, http"  # a client's own entry, then our proxy's
    proxies = ["10.0.0.0/8"]
    base = links.base_url(None, "", headers=headers, peer="10.0.0.2", trusted_proxies=proxies)
    assert base == "http://films.example"
