"""The same browser journeys as test_e2e_local.py, with the app on the fake OCI bucket.

The app talks to the fake Object Storage with the real `oci` SDK; the browser fetches the
video bytes from the fake server through the PAR URLs the app issued, never through the app.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import serving_app, wait_for_video
from tests.support.flows import heading, log_in_for_good, open_folder, play
from tests.support.oci_env import library_in_a_bucket, oci_app

BUCKET = "family-movies"


@pytest.fixture(scope="module")
def fake_oci(library_dir, tmp_path_factory):
    with library_in_a_bucket(library_dir, tmp_path_factory.mktemp("oci"), BUCKET) as running:
        yield running


@pytest.fixture(scope="module")
def oci_app_url(fake_oci):
    server, config = fake_oci
    with serving_app(oci_app(server.endpoint, config, BUCKET)) as url:
        yield url


@pytest.fixture
def page(browser, oci_app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(oci_app_url)
    yield page
    context.close()


def test_health_reports_oci(oci_app_url):
    body = httpx.get(oci_app_url + "/health").json()
    assert body["storage"] == "oci" and body["status"] == "ok"


def test_mp4_plays_and_seeks_from_the_bucket_through_a_par(page, fake_oci):
    server, _ = fake_oci
    fake_host = urlsplit(server.endpoint).netloc
    from_fake = []
    page.on(
        "response",
        lambda r: urlsplit(r.url).netloc == fake_host and from_fake.append((r.url, r.status)),
    )
    log_in_for_good(page)
    open_folder(page, "Summer 2023 #1")
    play(page, "Beach day")
    wait_for_video(page, "v.currentTime > 1.5")
    src = page.locator("video").first.evaluate("v => v.currentSrc")
    assert urlsplit(src).netloc == fake_host and "/p/" in src  # bytes never pass the app
    assert src.endswith("/Summer%202023%20%231/Beach%20day.mp4")
    page.locator("video").first.evaluate("v => { v.currentTime = 3.0; }")
    wait_for_video(page, "v.currentTime >= 3.0 && !v.seeking && v.readyState >= 3")
    assert any(status == 206 for _, status in from_fake), "seeking uses Range on the PAR URL"
    assert page.locator("video").first.evaluate("v => v.textTracks.length") >= 1

    # A PAR for one object cannot read its sibling.
    sibling = src.replace("Beach%20day.mp4", "%C3%9Cn%C3%AFcode%20caf%C3%A9.mp4")
    assert httpx.get(sibling).status_code == 404


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_hls_plays_through_a_prefix_par(page, fake_oci, engine):
    server, _ = fake_oci
    before = server.model.counts["ParGet"]
    log_in_for_good(page)
    open_folder(page, "Home videos")
    play(page, "Party #2 ?")
    if engine == "hlsjs":
        page.goto(page.url + "&engine=hlsjs")
        expect(heading(page, "Party #2 ?")).to_be_visible(timeout=20_000)
    wait_for_video(page, "v.currentTime > 1.5", timeout=40)
    video = page.locator("video").first
    assert video.get_attribute("data-engine") == engine
    src = video.evaluate("v => v.currentSrc || ''")
    if engine == "native":
        assert re.search(r"/p/.+/o/Home%20videos/Party%20%232%20%3F\.hls/output\.m3u8$", src)
    assert server.model.counts["ParGet"] > before  # playlist + segments came from the fake


def test_one_par_serves_every_viewer(browser, oci_app_url, fake_oci):
    """Two people watch a movie no other test plays: the first costs one PAR, the second
    none (it reuses the first one's, through the cache)."""
    server, _ = fake_oci
    created = server.model.counts["CreatePreauthenticatedRequest"]
    for viewer in range(2):
        context = browser.new_context()
        p = context.new_page()
        p.goto(oci_app_url)
        log_in_for_good(p)
        open_folder(p, "Summer 2023 #1")
        play(p, "Ünïcode café")
        wait_for_video(p, "v.currentTime > 0.5")
        context.close()
        assert server.model.counts["CreatePreauthenticatedRequest"] == created + 1, viewer
