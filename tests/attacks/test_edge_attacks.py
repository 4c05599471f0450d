"""Attacks on the HTTP edge of the real app (`streamlit run Home.py`), findings 2, 7, 9, 11,
12 and 15 of issue #8: oversized bodies, a hanging Redis behind /health, odd tokens and
numbers, planted HTML and SVG, symlinks and traversal, and the security headers.

Playback tokens are minted here with the app's own key and code (`LocalStorage.grant`), as
the app mints them for a watch or share page: what an attacker holding a share link has.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from homemovies_core import signing
from homemovies_core.storage.local import LocalStorage
from homemovies_core.web import bodies
from tests.support.accounts import COOKIE_KEY, USER, built_services, local_app
from tests.support.browser import serving_app
from tests.support.media import make_library
from tests.support.process import peak_rss, server_pid

HLS = "Home videos/Party #2 ?.hls/"
BEACH = "Summer 2023 #1/Beach day.mp4"
LINKED_HLS = "Uploads/Party.hls/"
MB = 1024 * 1024
SCRIPT = "<script>document.title = document.cookie</script>"


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """The test library, with what a hostile (or careless) hand could put into it."""
    base = tmp_path_factory.mktemp("edge-attacks")
    root = make_library(base / "lib")
    (base / "secret.txt").write_text("root:x:0:0 outside the library")
    for folder in ("Summer 2023 #1/", HLS):
        (root / folder / "evil.html").write_text(SCRIPT)
        (root / folder / "evil.svg").write_text(
            f'<svg xmlns="http://www.w3.org/2000/svg">{SCRIPT}</svg>'
        )
        (root / folder / "evil").write_text(SCRIPT)
    os.symlink(root / BEACH, root / HLS / "leak.mp4")  # inside the library, outside the movie
    os.symlink(root, root / HLS / "everything")
    os.symlink(base / "secret.txt", root / HLS / "escape.ts")
    (root / "Uploads").mkdir()
    os.symlink("../Summer 2023 #1", root / LINKED_HLS.rstrip("/"))  # a whole folder as a "movie"
    return root


@pytest.fixture(scope="module")
def app(library):
    with serving_app(local_app(library)) as url:
        yield url


@pytest.fixture(scope="module")
def storage(library) -> LocalStorage:
    """Mints playback URLs exactly as the app does (same key, same code)."""
    return LocalStorage(library, signing.derive_key(COOKIE_KEY, "video-url"))


def folder_url(storage: LocalStorage, name: str) -> str:
    grant = storage.grant(HLS, prefix=True, expires_at=time.time() + 600)
    return grant.url_for(HLS + name)


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    """GET a path exactly as written: no client-side normalising of "..", "%2e" or "\\"."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


# -- finding 11: active content, scope ----------------------------------------------------------
@pytest.mark.parametrize("name", ["evil.html", "evil.svg", "evil"])
def test_planted_html_and_svg_are_never_served(app, storage, name):
    answer = httpx.get(app + folder_url(storage, name))
    assert answer.status_code == 404 and "script" not in answer.text
    # Not even with a token for exactly that file (the app never issues one).
    single = storage.grant("Summer 2023 #1/" + name, prefix=False, expires_at=time.time() + 600)
    answer = httpx.get(app + single.url)
    assert answer.status_code == 404 and "script" not in answer.text


def test_media_is_served_sandboxed_and_nosniffed(app, storage):
    for name in ("output.m3u8", "v0/index.m3u8", "poster.jpg"):
        answer = httpx.get(app + folder_url(storage, name))
        assert answer.status_code == 200, name
        policy = answer.headers["content-security-policy"]
        assert policy.startswith("sandbox; default-src 'none';") and "script" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_video_opened_in_a_tab_of_its_own_still_plays(app, storage, browser):
    # The sandbox gives the browser's own media page an opaque origin: it must still load.
    url = storage.grant(BEACH, prefix=False, expires_at=time.time() + 600).url
    page = browser.new_page()
    page.goto(app + url)
    page.wait_for_function("() => document.querySelector('video')?.readyState >= 2")
    assert page.evaluate("document.querySelector('video').error") is None
    page.close()


@pytest.mark.parametrize(
    "name", ["leak.mp4", "everything/Summer 2023 #1/Beach day.mp4", "escape.ts"]
)
def test_symlinks_do_not_widen_a_folder_token(app, storage, name):
    answer = httpx.get(app + folder_url(storage, name))
    assert answer.status_code in (403, 404)
    assert not answer.content.startswith(b"\x00\x00\x00") and b"root:" not in answer.content


def test_a_symlinked_movie_folder_grants_nothing(app, storage):
    """Issue 16 finding 2: `Uploads/Party.hls -> ../Summer 2023 #1` was listed as a movie, and
    its playback URL served the files of the folder it points at."""
    grant = storage.grant(LINKED_HLS, prefix=True, expires_at=time.time() + 600)
    for name in ("Beach day.mp4", "Beach day.jpg"):
        answer = httpx.get(app + grant.url_for(LINKED_HLS + name))
        assert answer.status_code in (403, 404), name
        assert not answer.content.startswith(b"\x00\x00\x00"), name
    assert "Uploads/Party.hls/" not in [p.name for p in storage.list_level("Uploads/").prefixes]


@pytest.mark.parametrize(
    "tail",
    [
        "..%2F..%2FSummer%202023%20%231%2FBeach%20day.mp4",
        "%2e%2e/%2e%2e/Summer%202023%20%231/Beach%20day.mp4",
        "..%5C..%5CSummer%202023%20%231%5CBeach%20day.mp4",
        "../../Summer%202023%20%231/Beach%20day.mp4",
        "everything/..%2F..%2F..%2Fsecret.txt",
        "output.m3u8%00.mp4",
        "%2Fetc%2Fpasswd",
    ],
)
def test_traversal_never_leaves_the_token_folder(app, storage, library, tail):
    token_path = folder_url(storage, "output.m3u8").rsplit("/", 1)[0]
    status, body = raw_get(app, f"{token_path}/{tail}")
    assert status in (400, 403, 404), tail
    assert body != (library / BEACH).read_bytes()[: len(body)] or not body
    assert b"root:" not in body


# -- finding 12: URLs -------------------------------------------------------------------------
def test_playback_urls_show_no_folder_names(storage):
    for url in (
        folder_url(storage, "output.m3u8"),
        storage.grant(BEACH, prefix=False, expires_at=time.time() + 600).url,
    ):
        assert "Home" not in url and "Summer" not in url and "Party" not in url, url


# -- finding 9: odd tokens and numbers ----------------------------------------------------------
@pytest.mark.parametrize(
    "token", ["%C3%A9.%C3%A9", "%E2%80%AE.x", "A" * 6000, "a.b.c", "%00", "%FF%FE"]
)
def test_odd_video_tokens_get_a_4xx(app, token):
    status, body = raw_get(app, f"/video/{token}/output.m3u8")
    assert 400 <= status < 500 and b"Traceback" not in body


@pytest.fixture(scope="module")
def progress_token(library) -> str:
    """What a watch page hands its player: the app's own store, key and users."""
    return built_services(library).progress.token(USER, BEACH)


@pytest.mark.parametrize(
    "body, status",
    [
        ('{"token": "\u00e9.\u00e9", "position": 1}', 403),
        ('{"token": "\\u00e9\\ud800", "position": 1}', 403),
        ('{"token": 12, "position": 1}', 403),
        ('{"token": "{token}", "position": 1' + "0" * 400 + "}", 400),  # 10**400: no float
        ('{"token": "{token}", "position": 1e400}', 400),
        ("[" * 2000 + "]" * 2000, 400),
        ('{"token": "x", "position": 1', 400),
    ],
)
def test_odd_progress_reports_get_a_4xx(app, progress_token, body, status):
    answer = httpx.post(
        app + "/api/progress", content=body.replace("{token}", progress_token).encode()
    )
    assert answer.status_code == status and "Traceback" not in answer.text


# -- finding 2: bodies --------------------------------------------------------------------------
def post_until_answered(
    url: str, head: dict[str, str], body_size: int, *, chunked: bool
) -> int | None:
    """POST `body_size` bytes to /api/progress, stopping as soon as the server answers (or
    hangs up); the answer's status, or None if none came."""
    parts = urlsplit(url)
    lines = [
        "POST /api/progress HTTP/1.1",
        f"Host: {parts.netloc}",
        *(f"{k}: {v}" for k, v in head.items()),
        "",
        "",
    ]
    piece = b"x" * (64 * 1024)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall("\r\n".join(lines).encode())
        sent = 0
        try:
            while sent < body_size:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the server has answered already
                data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                sock.sendall(data)
                sent += len(piece)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # it hung up on us mid-body: the answer may still be waiting to be read
        try:
            status_line = sock.makefile("rb").readline()
        except ConnectionResetError:
            return None
    fields = status_line.split()
    return int(fields[1]) if len(fields) > 1 else None


def test_huge_bodies_are_refused_without_costing_memory(app):
    pid = server_pid(app)
    # One ordinary report first, so the route's first-use costs are not counted below.
    assert httpx.post(app + "/api/progress", json={"token": "x", "position": 1}).status_code == 403
    before = peak_rss(pid)
    size = 128 * MB
    assert (
        post_until_answered(
            app,
            {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
            size,
            chunked=True,
        )
        == 413
    )
    assert (
        post_until_answered(
            app,
            {"Content-Length": str(size), "Content-Type": "application/json"},
            size,
            chunked=False,
        )
        == 413
    )
    grown = peak_rss(pid) - before
    assert grown < 8 * MB, f"peak memory grew by {grown / MB:.0f} MB"
    # ... and the server still answers.
    assert httpx.get(app + "/health").status_code == 200


def test_a_body_sent_a_trickle_at_a_time_is_cut_off(app):
    """Issue 16 finding 12: a body was read without a time limit, so a client sending a byte
    now and then held its connection for as long as it liked."""
    parts = urlsplit(app)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        # Not the measure of anything: a server that never answers fails here, not hangs.
        sock.settimeout(bodies.BODY_SECONDS * 10)
        head = f"POST /api/progress HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head.encode() + b'{"tok')
        status = sock.makefile("rb").readline()
    assert status.split()[1:2] == [b"408"], status
    assert httpx.get(app + "/health").status_code == 200


# -- finding 15: headers ------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/library", "/shared?t=abc", "/pair?code=ABC", "/watch?v=x"])
def test_pages_cannot_be_framed_and_leak_no_referrer(app, path):
    answer = httpx.get(app + path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers.get_list("content-security-policy")
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/health", "/_stcore/health", "/player/hls.min.js", "/video/x.y/z.mp4", "/api/progress"],
)
def test_every_route_says_nosniff_and_no_referrer(app, path):
    answer = httpx.get(app + path)
    assert answer.headers["x-content-type-options"] == "nosniff", path
    assert answer.headers["referrer-policy"] == "no-referrer", path


def test_an_endless_header_block_is_cut_off_not_read(app):
    """The HTTP parser bounds a request's head: a stranger streaming headers is dropped
    long before a megabyte. (uvicorn's h11 parser stops at 16 KB; httptools, which uvicorn
    prefers when it is installed, read 10 MB of headers and answered 200: keep it out.)"""
    port = int(app.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sent = 0
        with contextlib.suppress(OSError):  # refused mid-send: the connection is reset
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            while sent < 1_000_000:
                sock.sendall(b"X-Pad-%d: " % sent + b"a" * 4000 + b"\r\n")
                sent += 4000
            sock.sendall(b"\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            answer = sock.recv(64)
    assert not answer.startswith(b"HTTP/1.1 200"), answer
    assert sent < 1_000_000 or answer.startswith(b"HTTP/1.1 4"), (sent, answer)


# -- finding 7: /health and a hanging Redis ------------------------------------------------------
class HungRedis:
    """A "Redis" that accepts connections, reads what is sent, and never answers."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"
        self.connections: list[dict] = []
        self.new_request = threading.Event()  # a connection sent its first bytes
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            record = {"asked": False, "closed": False}
            with self._lock:
                self.connections.append(record)
            threading.Thread(target=self._hold, args=(sock, record), daemon=True).start()

    def _hold(self, sock: socket.socket, record: dict) -> None:
        with sock:
            while True:
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    record["closed"] = True
                    return
                if not record["asked"]:
                    record["asked"] = True
                    self.new_request.set()

    def count(self) -> int:
        with self._lock:
            return len(self.connections)

    def close(self) -> None:
        self._server.close()


@pytest.fixture(scope="module")
def hung_app(library):
    peer = HungRedis()
    try:
        with serving_app(local_app(library, "--redis_url", peer.url)) as url:
            yield url, peer
    finally:
        peer.close()


def test_health_answers_while_its_redis_check_hangs(hung_app, storage):
    url, peer = hung_app
    peer.new_request.clear()
    # The background check's next ping reaches the peer and hangs there (up to 2 s) ...
    assert peer.new_request.wait(60), "no background health check reached Redis"
    hanging = [c for c in peer.connections if c["asked"] and not c["closed"]]
    assert hanging
    # ... and meanwhile /health and a video answer at once, from the last status.
    health = httpx.get(url + "/health")
    video = httpx.get(url + folder_url(storage, "output.m3u8"))
    assert not all(c["closed"] for c in hanging), "answered only after the ping gave up"
    assert health.status_code == 200 and health.json()["cache_reachable"] is False
    assert video.status_code == 200


def test_many_health_checks_cost_redis_nothing(hung_app, storage):
    url, peer = hung_app
    before = peer.count()
    with ThreadPoolExecutor(max_workers=20) as pool:
        healths = list(pool.map(lambda _: httpx.get(url + "/health", timeout=300), range(20)))
        video = httpx.get(url + folder_url(storage, "output.m3u8"), timeout=300)
    assert [h.status_code for h in healths] == [200] * 20 and video.status_code == 200
    # Each inline ping used to open a connection (and hold the event loop for 2 s): 20 here.
    # Now only the background check talks to Redis, once per 5 s at most.
    assert peer.count() - before <= 2
