"""The player component, end to end: real ffmpeg media, a real `streamlit run`, real Chromium."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import (
    free_port,
    run_streamlit,
    stop,
    video_time,
    wait_for_http,
    wait_for_video,
)

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
        urlparse(url).hostname
        for url in requests
        if urlparse(url).scheme in ("http", "https")
    }
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


def test_hls_js_is_served_as_javascript(server: str) -> None:
    response = httpx.get(f"{server}/player/hls.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert "Hls" in response.text[:200_000]


@pytest.mark.parametrize(
    "params",
    [
        {"src": MP4, "kind": "progressive"},
        {"src": HLS, "kind": "hls"},
        {"src": HLS, "kind": "hls", "force_hlsjs": "1"},
    ],
    ids=["progressive", "hls-native", "hls-hlsjs"],
)
def test_starts_at_saved_position(
    page: Page, server: str, params: dict[str, str]
) -> None:
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


def test_progress_is_posted_on_pause_and_end(page: Page, server: str) -> None:
    open_player(page, server, src=MP4, kind="progressive", progress="1")
    wait_for_video(page, "v.ended")
    reports: list[dict] = []
    for _ in range(50):  # the POST is fire-and-forget: poll for its arrival
        reports = [
            r
            for r in httpx.get(f"{server}/progress-test").json()
            if r["token"] == "test-token"
        ]
        if any(r["position"] >= DURATION_S - 0.5 for r in reports):
            break
        time.sleep(0.2)
    final = [r for r in reports if r["position"] >= DURATION_S - 0.5]
    assert len(final) == 1, (
        reports
    )  # pause and ended at the same position make one report
    assert final[0]["duration"] == pytest.approx(DURATION_S, abs=0.5)


@pytest.mark.parametrize(
    "kind,extra",
    [("progressive", {}), ("hls", {}), ("hls", {"force_hlsjs": "1"})],
    ids=["progressive", "hls-native", "hls-hlsjs"],
)
def test_missing_video_shows_a_readable_error(
    page: Page, server: str, kind: str, extra: dict
) -> None:
    open_player(page, server, src="/media-test/missing.mp4", kind=kind, **extra)
    expect(page.get_by_text("This video could not be played.")).to_be_visible(
        timeout=30_000
    )
