"""The player component, end to end: real ffmpeg media, a real `streamlit run`, real Chromium."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from homemovies_core.ffmpeg import probe
from homemovies_core.previews import make_previews
from homemovies_core.web.player_assets import hls_js_file
from tests.support.accounts import local_app
from tests.support.browser import (
    free_port,
    run_streamlit,
    serving_app,
    stop,
    video_time,
    wait_for_http,
    wait_for_video,
)
from tests.support.flows import log_in_for_good, open_folder, play
from tests.support.media import ingest_small, make_clip

APP = Path(__file__).parent / "apps" / "player_app.py"
DURATION_S = 6

# A 6-second 320x240 test card with a tone; 25 fps and a keyframe every 2 s so
# the HLS renditions' 2 s segments line up.
_LAVFI_INPUTS = [
    "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={DURATION_S}",
    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={DURATION_S}",
]  # fmt: skip
_H264 = [
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
    "-c:a", "aac", "-b:a", "64k",
]  # fmt: skip

# Two renditions (240p, 160p) and a master playlist `output.m3u8`, as our ingest makes.
_HLS_LADDER = [
    "-filter_complex", "[0:v]split=2[a][b];[b]scale=-2:160[small]",
    "-map", "[a]", "-map", "1:a", "-map", "[small]", "-map", "1:a",
    *_H264,
    "-b:v:0", "400k", "-b:v:1", "200k",
    "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
    "-hls_segment_filename", "v%v/seg%03d.ts",
    "-master_pl_name", "output.m3u8",
    "-var_stream_map", "v:0,a:0 v:1,a:1",
    "v%v/index.m3u8",
]  # fmt: skip

SUBTITLES_VTT = """WEBVTT

00:00:00.000 --> 00:00:05.000
Hello from the test card.
"""


def _ffmpeg(args: list[str], cwd: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        cwd=cwd,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    _ffmpeg(
        [*_LAVFI_INPUTS, *_H264, "-shortest", "-movflags", "+faststart", "video.mp4"],
        root,
    )

    # One ffmpeg run makes both renditions and the master playlist, so the
    # segments of 240p and 160p cut at the same keyframes.
    hls = root / "video.hls"
    hls.mkdir()
    _ffmpeg([*_LAVFI_INPUTS, *_HLS_LADDER], hls)
    (root / "video.vtt").write_text(SUBTITLES_VTT, encoding="utf-8")
    # Seek previews: a tile a second, 2x2 to a sheet, so six seconds need two sheets (the
    # second one half full). The same movie again under a name that needs escaping.
    make_previews(root / "video.mp4", hls, probe(root / "video.mp4"), interval=1, columns=2, rows=2)
    shutil.copytree(hls, root / AWKWARD)
    return root


@pytest.fixture(scope="session")
def server(media_dir: Path) -> Iterator[str]:
    port = free_port()
    proc = run_streamlit(APP, port, env={"HM_TEST_MEDIA": str(media_dir)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/_stcore/health", timeout=60, proc=proc)
        yield base
    finally:
        stop(proc)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def open_player(page: Page, server: str, **params: str) -> list[str]:
    """Open the test page with these query parameters; return the list that records every request URL."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server}/?{urlencode(params)}")
    return requests


def engine(page: Page) -> str | None:
    return page.locator("video").first.get_attribute("data-engine")


MP4 = "/media-test/video.mp4"
HLS = "/media-test/video.hls/output.m3u8"
THUMBS = "/media-test/video.hls/thumbnails.vtt"
AWKWARD = "Party #2 ?.hls"
AWKWARD_URL = "/media-test/" + quote(AWKWARD)


def test_mp4_plays(page: Page, server: str) -> None:
    open_player(page, server, src=MP4, kind="progressive")
    wait_for_video(page, "v.currentTime > 1.5")
    assert engine(page) == "progressive"
    assert video_time(page) > 1.5


def test_hls_plays_natively(page: Page, server: str) -> None:
    open_player(page, server, src=HLS, kind="hls")
    wait_for_video(page, "v.currentTime > 1.5")
    assert engine(page) == "native"


def test_hls_plays_with_hlsjs_served_locally(page: Page, server: str) -> None:
    requests = open_player(page, server, src=HLS, kind="hls", force_hlsjs="1")
    wait_for_video(page, "v.currentTime > 1.5")
    assert engine(page) == "hlsjs"
    assert any(urlparse(url).path == "/player/hls.min.js" for url in requests)
    # Everything, hls.js included, comes from the app: no CDN, no third party.
    hosts = {
        urlparse(url).hostname for url in requests if urlparse(url).scheme in ("http", "https")
    }
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


def test_hls_js_is_served_as_javascript(server: str) -> None:
    response = httpx.get(f"{server}/player/hls.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert "Hls" in response.text[:200_000]
    # Compressed once, ahead of time, and not again by Streamlit's gzip middleware.
    with httpx.stream("GET", f"{server}/player/hls.min.js") as answer:
        sent = b"".join(answer.iter_raw())
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent) == hls_js_file().read_bytes()


@pytest.mark.parametrize(
    "params",
    [
        {"src": MP4, "kind": "progressive"},
        {"src": HLS, "kind": "hls"},
        {"src": HLS, "kind": "hls", "force_hlsjs": "1"},
    ],
    ids=["progressive", "hls-native", "hls-hlsjs"],
)
def test_starts_at_saved_position(page: Page, server: str, params: dict[str, str]) -> None:
    open_player(page, server, start="3", **params)
    wait_for_video(page, "v.currentTime >= 3.2 && v.played.length > 0")
    # `played` proves it started at 3 s, rather than playing up to it from 0.
    first_played = page.locator("video").first.evaluate("v => v.played.start(0)")
    assert first_played >= 2.9


def test_subtitle_track_is_attached(page: Page, server: str) -> None:
    open_player(page, server, src=MP4, kind="progressive", subs="/media-test/video.vtt")
    wait_for_video(page, "v.textTracks.length === 1")
    track = page.locator("video").first.evaluate(
        "v => ({kind: v.textTracks[0].kind, language: v.textTracks[0].language, label: v.textTracks[0].label})"
    )
    assert track == {"kind": "subtitles", "language": "en", "label": "English"}


def is_report(request) -> bool:
    return request.method == "POST" and request.url.endswith("/progress-test")


def test_progress_is_posted_on_pause_and_end(page: Page, server: str) -> None:
    sent = []  # every report, in the order the page sent them
    page.on("request", lambda r: is_report(r) and sent.append(r))
    open_player(page, server, src=MP4, kind="progressive", progress="1")
    wait_for_video(page, "v.ended")
    # Then a report of the test's own: back to 2 s, play, pause. The video's events come in
    # order, so the page sends it after everything the end of the video made it send: a
    # second report of the end, however late, is in `sent` before this one.
    with page.expect_request(
        lambda r: is_report(r) and json.loads(r.post_data)["position"] < DURATION_S / 2
    ):
        page.locator("video").first.evaluate(
            """async v => {
              v.currentTime = 2;
              await new Promise((seeked) => v.addEventListener("seeked", seeked, { once: true }));
              await v.play();
              v.pause();
            }"""
        )
    reports = [json.loads(r.post_data) for r in sent]
    assert reports[-1]["position"] < DURATION_S / 2, reports  # the test's own came last
    final = [(r, sent[i]) for i, r in enumerate(reports) if r["position"] >= DURATION_S - 0.5]
    assert len(final) == 1, reports  # pause and ended at the same position make one report
    report, request = final[0]
    assert report["token"] == "test-token"
    assert report["duration"] == pytest.approx(DURATION_S, abs=0.5)
    assert request.response().ok  # and the server took it


@pytest.mark.parametrize(
    "kind,extra",
    [("progressive", {}), ("hls", {}), ("hls", {"force_hlsjs": "1"})],
    ids=["progressive", "hls-native", "hls-hlsjs"],
)
def test_missing_video_shows_a_readable_error(
    page: Page, server: str, kind: str, extra: dict
) -> None:
    open_player(page, server, src="/media-test/missing.mp4", kind=kind, **extra)
    expect(page.get_by_text("This video could not be played.")).to_be_visible(timeout=30_000)


# -- seek previews ------------------------------------------------------------------------------
# The test movie's index: a 160x120 tile a second, two columns and two rows to a sheet.
TILE_W, TILE_H = 160, 120


def expected_tile(seconds: float) -> tuple[str, str]:
    """(sheet file, CSS background-position) of the tile for this moment."""
    index = min(int(seconds), DURATION_S - 1)  # the end of the movie shows the last tile
    sheet, cell = divmod(index, 4)
    row, column = divmod(cell, 2)
    return f"thumbs-{sheet + 1:04d}.jpg", f"{-column * TILE_W}px {-row * TILE_H}px"


PREVIEW_JS = """el => {
  const tile = el.querySelector(".hm-player__tile");
  const box = el.getBoundingClientRect();
  return {hidden: el.hidden, time: Number(el.dataset.time), bottom: box.bottom,
          image: getComputedStyle(tile).backgroundImage, position: tile.style.backgroundPosition,
          width: tile.clientWidth, height: tile.clientHeight,
          label: el.querySelector(".hm-player__time").textContent};
}"""


def preview(page: Page) -> dict:
    return page.locator(".hm-player__preview").evaluate(PREVIEW_JS)


def bar_point(page: Page, fraction: float) -> tuple[float, float]:
    """Where on the screen the seek bar stands for this fraction of the movie."""
    page.locator(".hm-player__scrub").scroll_into_view_if_needed()
    track = page.locator(".hm-player__track").bounding_box()
    bar = page.locator(".hm-player__scrub").bounding_box()
    assert track and bar
    return track["x"] + fraction * track["width"], bar["y"] + bar["height"] / 2


def paused_early(page: Page) -> float:
    """Let the video start, pause it early on, and return its duration: a paused video shows
    that only a click or the end of a drag moves it."""
    wait_for_video(page, "v.currentTime > 0.2")
    page.locator("video").first.evaluate("v => v.pause()")
    wait_for_video(page, "v.paused")
    assert video_time(page) < 2.0
    return page.locator("video").first.evaluate("v => v.duration")


def assert_preview_shows(page: Page, seconds: float, folder_url: str) -> dict:
    """The preview is up, for about `seconds`, with that moment's tile, above the bar."""
    page.wait_for_function(
        """([t]) => { const find = (root) => { const hit = root.querySelector(".hm-player__preview");
            if (hit) return hit; for (const el of root.querySelectorAll("*")) {
              const inside = el.shadowRoot && find(el.shadowRoot); if (inside) return inside; }
            return null; };
          const p = find(document); return p && !p.hidden && Math.abs(Number(p.dataset.time) - t) < 0.1; }""",
        arg=[seconds],
        timeout=10_000,
        polling=50,
    )
    shown = preview(page)
    sheet, position = expected_tile(shown["time"])
    assert (
        shown["image"] == f'url("{urlparse(page.url).scheme}://{urlparse(page.url).netloc}'
        f'{folder_url}/{sheet}")'
    ), shown
    assert shown["position"] == position
    assert (shown["width"], shown["height"]) == (TILE_W, TILE_H)
    bar_top = page.locator(".hm-player__scrub").bounding_box()["y"]
    assert shown["bottom"] <= bar_top  # above the seek bar, not on it
    return shown


@pytest.mark.parametrize(
    "engine_name,folder",
    [("native", "/media-test/video.hls"), ("hlsjs", AWKWARD_URL)],
    ids=["hls-native", "hls-hlsjs-awkward-name"],
)
def test_hovering_the_seek_bar_previews_that_moment_and_a_click_seeks(
    page: Page, server: str, engine_name: str, folder: str
) -> None:
    extra = {"force_hlsjs": "1"} if engine_name == "hlsjs" else {}
    open_player(
        page,
        server,
        src=f"{folder}/output.m3u8",
        kind="hls",
        thumbs=f"{folder}/thumbnails.vtt",
        **extra,
    )
    duration = paused_early(page)
    assert engine(page) == engine_name
    expect(page.locator(".hm-player__scrub")).to_be_visible()
    before = video_time(page)

    page.mouse.move(*bar_point(page, 0.25), steps=4)
    shown = assert_preview_shows(page, 0.25 * duration, folder)
    assert expected_tile(shown["time"])[0] == "thumbs-0001.jpg"
    # Along the bar into the second sheet: the picture follows the pointer.
    with page.expect_response(lambda r: r.url.endswith("/thumbs-0002.jpg")) as sheet:
        page.mouse.move(*bar_point(page, 0.75), steps=4)
    assert sheet.value.status == 200
    shown = assert_preview_shows(page, 0.75 * duration, folder)
    assert shown["label"] == "0:04"
    assert video_time(page) == before  # hovering only looks

    page.mouse.move(*bar_point(page, 0.75))
    page.mouse.down()
    page.mouse.up()
    wait_for_video(page, f"Math.abs(v.currentTime - {0.75 * duration}) < 0.1")

    # Off the bar, the preview goes away.
    video_box = page.locator("video").first.bounding_box()
    page.mouse.move(video_box["x"] + 10, video_box["y"] + 10, steps=2)
    expect(page.locator(".hm-player__preview")).to_be_hidden()


@pytest.mark.parametrize("extra", [{}, {"force_hlsjs": "1"}], ids=["hls-native", "hls-hlsjs"])
def test_dragging_a_finger_along_the_bar_previews_then_seeks_on_release(
    browser: Browser, server: str, extra: dict
) -> None:
    context = browser.new_context(
        has_touch=True, is_mobile=True, viewport={"width": 412, "height": 800}
    )
    try:
        page = context.new_page()
        open_player(page, server, src=HLS, kind="hls", thumbs=THUMBS, **extra)
        duration = paused_early(page)
        expect(page.locator(".hm-player__scrub")).to_be_visible()
        before = video_time(page)
        touch = context.new_cdp_session(page)

        def finger(kind: str, fraction: float | None = None) -> None:
            points = (
                []
                if fraction is None
                else [dict(zip("xy", bar_point(page, fraction), strict=True))]
            )
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        finger("touchStart", 0.1)
        assert_preview_shows(page, 0.1 * duration, "/media-test/video.hls")
        finger("touchMove", 0.4)
        finger("touchMove", 0.6)
        shown = assert_preview_shows(page, 0.6 * duration, "/media-test/video.hls")
        assert expected_tile(shown["time"]) == ("thumbs-0001.jpg", f"-{TILE_W}px -{TILE_H}px")
        assert video_time(page) == before  # nothing moves until the finger lets go
        finger("touchEnd")
        wait_for_video(page, f"Math.abs(v.currentTime - {0.6 * duration}) < 0.15")
        expect(page.locator(".hm-player__preview")).to_be_hidden()
    finally:
        context.close()


RECORD_JS = """el => {
  window.__previews = [];
  const tile = el.querySelector(".hm-player__tile");
  new MutationObserver(() => window.__previews.push({hidden: el.hidden,
      time: Number(el.dataset.time), image: tile.style.backgroundImage,
      position: tile.style.backgroundPosition}))
    .observe(el, {attributes: true, attributeFilter: ["data-time", "hidden"]});
}"""


def test_arrow_keys_on_the_seek_bar_step_with_a_preview(page: Page, server: str) -> None:
    """A keyboard or a TV remote: the preview shows each step (it goes away by itself a
    moment later, so what it showed is recorded as it happens)."""
    open_player(page, server, src=HLS, kind="hls", thumbs=THUMBS)
    paused_early(page)
    page.locator("video").first.evaluate("v => { v.currentTime = 1.5; }")
    wait_for_video(page, "Math.abs(v.currentTime - 1.5) < 0.05 && !v.seeking")
    page.locator(".hm-player__preview").evaluate(RECORD_JS)
    page.locator(".hm-player__scrub").focus()
    page.keyboard.press("End")
    wait_for_video(page, "v.currentTime > v.duration - 0.1")
    page.keyboard.press("Home")
    wait_for_video(page, "v.currentTime < 0.05")
    page.wait_for_function("() => window.__previews.filter(p => !p.hidden).length >= 2")
    shown = [p for p in page.evaluate("window.__previews") if not p["hidden"]]
    sheets = [(p["image"].rsplit("/", 1)[-1], p["position"]) for p in shown[:2]]
    assert sheets == [
        ('thumbs-0002.jpg")', expected_tile(DURATION_S)[1]),
        ('thumbs-0001.jpg")', "0px 0px"),
    ]


@pytest.mark.parametrize(
    "params",
    [{"src": HLS, "kind": "hls"}, {"src": HLS, "kind": "hls", "force_hlsjs": "1"}],
    ids=["hls-native", "hls-hlsjs"],
)
def test_a_movie_without_previews_has_no_preview_and_plays_as_before(
    page: Page, server: str, params: dict[str, str]
) -> None:
    requests = open_player(page, server, **params)
    wait_for_video(page, "v.currentTime > 1.5")
    assert page.locator(".hm-player__scrub").count() == 0
    assert page.locator(".hm-player__preview").count() == 0
    assert not [url for url in requests if "thumbnails" in url or "thumbs-" in url]


def test_an_index_that_does_not_load_leaves_the_player_as_it_was(page: Page, server: str) -> None:
    with page.expect_console_message(lambda m: "no seek previews" in m.text, timeout=30_000):
        open_player(page, server, src=HLS, kind="hls", thumbs="/media-test/video.hls/missing.vtt")
    wait_for_video(page, "v.currentTime > 1.5")
    assert page.locator(".hm-player__scrub").count() == 0


def test_chromium_reads_the_index_as_webvtt(page: Page, server: str) -> None:
    """The browser's own WebVTT parser agrees with ours: every cue, its time and its tile."""
    open_player(page, server, src=HLS, kind="hls")
    cues = page.evaluate(
        """url => new Promise((resolve, reject) => {
          const video = document.createElement("video");
          const track = document.createElement("track");
          track.kind = "metadata"; track.src = url; track.default = true;
          track.addEventListener("load", () => resolve([...track.track.cues].map(
            c => [c.startTime, c.endTime, c.text])));
          track.addEventListener("error", () => reject(new Error("track failed")));
          video.appendChild(track);
          document.body.appendChild(video);
          track.track.mode = "hidden";
        })""",
        THUMBS,
    )
    assert len(cues) == DURATION_S
    for second, (start, end, text) in enumerate(cues):
        sheet, position = expected_tile(second + 0.5)
        x, y = (-int(v.removesuffix("px")) for v in position.split())
        assert start == pytest.approx(second) and end == pytest.approx(second + 1, abs=0.05)
        assert text == f"{sheet}#xywh={x},{y},{TILE_W},{TILE_H}"


# -- in the app: the watch page and a share link, on the movie folder's own grant ---------------
@pytest.fixture(scope="module")
def previews_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app over a library made by the real ingest command (which writes previews)."""
    camera = tmp_path_factory.mktemp("camera")
    source = make_clip(camera / "Kite day.mp4", seconds=6, size="320x240")
    root = tmp_path_factory.mktemp("previews-library")
    ingest_small(source, root, "Family")
    with serving_app(local_app(root)) as url:
        yield url


def test_the_watch_page_previews_from_the_movie_folders_grant(
    browser: Browser, previews_app: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(previews_app)
        log_in_for_good(page)
        open_folder(page, "Family")
        play(page, "Kite day")
        duration = paused_early(page)
        playlist = page.locator("video").first.evaluate("v => v.currentSrc")
        folder = urlparse(playlist).path.rsplit("/", 1)[0]
        assert folder.startswith("/video/")  # the folder's signed path, nothing else
        with page.expect_response(lambda r: r.url.endswith("/thumbs-0001.jpg")) as sheet:
            page.mouse.move(*bar_point(page, 0.5), steps=4)
        assert sheet.value.status == 200
        assert urlparse(sheet.value.url).path == f"{folder}/thumbs-0001.jpg"
        shown = preview(page)
        assert not shown["hidden"]
        assert abs(shown["time"] - 0.5 * duration) < 0.1
        assert shown["image"].endswith(f'{folder}/thumbs-0001.jpg")')
    finally:
        context.close()


def test_the_same_video_drawn_again_keeps_playing(page: Page, server: str) -> None:
    """A new session (a reconnect to another replica) draws the watch page again with a new
    progress token and a start from the last report: the playing video must not jump back
    or restart, and its next report carries the new token."""
    open_player(page, server, src=MP4, kind="progressive", progress="1")
    wait_for_video(page, "v.currentTime > 1.5")
    page.locator("video").first.evaluate("v => { v.dataset.marked = '1'; }")
    before = page.locator("video").first.evaluate("v => v.currentTime")
    page.get_by_role("button", name="Redraw with a new token").click()
    expect(page.get_by_text("Drawn with test-token-2")).to_be_visible()  # the redraw is in
    wait_for_video(page, f"v.currentTime > {before + 0.5}")
    video = page.locator("video").first
    assert video.get_attribute("data-marked") == "1"  # the same element: never remounted
    with page.expect_response(lambda r: r.url.endswith("/progress-test")):
        video.evaluate("v => v.pause()")
    reports = httpx.get(f"{server}/progress-test").json()
    assert reports[-1]["token"] == "test-token-2"
