"""Planted files that would make every viewer's browser load outside URLs (issue 16, finding
11), in the real app in Chromium: a movie whose variant playlists fetch their segments from
another host, and the pages' CSP for anything that gets past the check. (A thumbnails index
with outside sprites: tests/test_references.py, on the watch page's player data.)
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import local_app
from tests.support.browser import serving_app
from tests.support.flows import log_in_for_good, open_folder, play
from tests.support.media import make_library

PARTY = "Home videos/Party #2 ?.hls"
MEDIA = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{}\n#EXT-X-ENDLIST\n"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    root = make_library(tmp_path_factory.mktemp("planted"))
    planted = root / "Planted"
    shutil.copytree(root / PARTY, planted / "Elsewhere.hls")
    for variant in ("v0", "v1"):
        (planted / "Elsewhere.hls" / variant / "index.m3u8").write_text(
            MEDIA.format("https://evil.example/segment.ts")
        )
    with serving_app(local_app(root)) as base:
        yield base


@pytest.fixture
def page(browser, url) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    outside = []
    page.on(
        "request",
        lambda r: (urlsplit(r.url).hostname or "").endswith("evil.example") and outside.append(r),
    )
    page.outside = outside
    page.goto(url)
    log_in_for_good(page)
    open_folder(page, "Planted")
    yield page
    page.context.close()


def test_a_movie_whose_playlist_points_elsewhere_is_not_played(page):
    play(page, "Elsewhere")
    expect(page.get_by_text(re.compile("points outside its folder"))).to_be_visible()
    assert page.locator("video").count() == 0
    assert page.outside == []


def test_the_page_policy_keeps_the_browser_from_loading_media_elsewhere(page):
    """The second lock, for a file changed after the check: the browser refuses by itself."""
    with page.expect_event("requestfailed", lambda r: "evil.example" in r.url) as failed:
        page.evaluate(
            """() => {
              const image = new Image();
              image.src = "https://evil.example/pixel.png";
              document.body.appendChild(image);
            }"""
        )
    assert failed.value.failure == "csp"  # refused by the page's policy, not by the network


def test_the_policy_names_the_storage_origin_on_oci():
    from homemovies_core.web.headers import media_policy

    policy = media_policy("https://objectstorage.eu-frankfurt-1.oraclecloud.com")
    for directive in ("img-src", "media-src", "connect-src"):
        part = next(p for p in policy.split(";") if p.strip().startswith(directive))
        assert "'self'" in part and "https://objectstorage.eu-frankfurt-1.oraclecloud.com" in part
