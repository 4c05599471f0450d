"""The whole app in headless Chromium on a generated local library with awkward names."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_for_video
from tests.support.flows import card, heading, log_in, log_in_for_good, open_folder, play

# Screenshots go to an untracked build folder; `scripts/screenshots.sh` points this at
# docs/screenshots to refresh the README's pictures.
SCREENSHOTS = Path(
    os.environ.get("HM_SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[1] / "build" / "screenshots"
)


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.foreign_requests = []
    page.on(
        "request",
        lambda r: (
            urlsplit(r.url).hostname not in ("127.0.0.1", "localhost")
            and not r.url.startswith(("data:", "blob:"))
            and page.foreign_requests.append(r.url)
        ),
    )
    page.goto(app_url)
    yield page
    assert page.foreign_requests == [], "the page loaded something from another host"
    context.close()


def test_wrong_password_is_rejected(page):
    log_in(page, "not the password")
    expect(page.get_by_text(re.compile("Wrong user name or password."))).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)


def test_login_browse_play_mp4_seek_reload_logout(page, app_url):
    log_in_for_good(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Summer 2023 #1")).to_be_visible(timeout=20_000)
    expect(sidebar.get_by_text("Unsorted")).to_be_visible()
    open_folder(page, "Summer 2023 #1")
    expect(page.get_by_text("Ünïcode café")).to_be_visible()
    assert "folder=Summer+2023+%231" in page.url or "folder=Summer%202023%20%231" in page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "library.png")

    ranges = []
    page.on("response", lambda r: "/video/" in r.url and ranges.append(r.status))
    play(page, "Beach day")
    wait_for_video(page, "v.currentTime > 1.5")
    video = page.locator("video").first
    assert video.get_attribute("data-engine") == "progressive"
    assert video.evaluate("v => v.textTracks.length") >= 1  # Beach day.en.vtt
    page.screenshot(path=SCREENSHOTS / "watch.png")

    video.evaluate("v => { v.currentTime = 3.0; }")
    wait_for_video(page, "v.currentTime >= 3.0 && !v.seeking && v.readyState >= 3")
    assert 206 in ranges, "seeking should be served by HTTP Range requests"

    page.reload()
    expect(heading(page, "Beach day")).to_be_visible(timeout=20_000)
    wait_for_video(page, "v.currentTime > 1.0")
    assert "v=Summer" in page.url

    cookie = next(c for c in page.context.cookies() if c["name"] == "hm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("hm_session") < 0  # no script can read it
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_hls_plays_natively_and_through_hlsjs(page, app_url, engine):
    log_in_for_good(page)
    open_folder(page, "Home videos")
    play(page, "Party #2 ?")
    if engine == "hlsjs":
        page.goto(page.url + "&engine=hlsjs")
    wait_for_video(page, "v.currentTime > 1.5", timeout=40)
    assert page.locator("video").first.get_attribute("data-engine") == engine


def test_download_only_video_gets_a_notice(page):
    log_in_for_good(page)
    open_folder(page, "Home videos")
    play(page, "Old")
    expect(page.get_by_text("Browsers cannot play AVI files")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Download"))).to_be_visible()
    expect(page.locator("video")).to_have_count(0)


def test_forged_or_tampered_media_urls_fail(page, app_url):
    log_in_for_good(page)
    open_folder(page, "Summer 2023 #1")
    play(page, "Beach day")
    wait_for_video(page, "v.currentTime > 0.5")
    src = page.locator("video").first.evaluate("v => v.currentSrc")
    assert httpx.get(src).status_code == 200
    token = src.split("/video/")[1].split("/")[0]
    base = src.split("/video/")[0]
    for bad in (
        f"{base}/video/forged/Summer%202023%20%231/Beach%20day.mp4",
        src.replace("Beach%20day.mp4", "Beach%20day.jpg"),  # out of scope
        f"{base}/video/{token[:-2]}xx/Summer%202023%20%231/Beach%20day.mp4",
        f"{base}/video/{token}/Summer%202023%20%231/..%2F..%2Fetc%2Fpasswd",
        f"{base}/video/{token}/",
    ):
        answer = httpx.get(bad)
        # 400: the server refuses an encoded "../" before routing; never the file.
        assert answer.status_code in (400, 403, 404) and "root:" not in answer.text, bad


def test_lockout_is_per_client_address(browser, app_url):
    def client(address):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
        page = context.new_page()
        page.goto(app_url)
        return page

    stranger = client("203.0.113.66")
    for left in (4, 3, 2, 1):
        log_in(stranger, "guess")
        expect(stranger.get_by_text(re.compile(f"{left} more tr"))).to_be_visible()
    log_in(stranger, "guess")
    expect(stranger.get_by_text(re.compile("must now wait 15 minutes"))).to_be_visible()
    log_in(stranger)  # even the right password is refused from there now
    expect(stranger.get_by_text(re.compile("Too many failed attempts"))).to_be_visible()
    expect(stranger.get_by_test_id("stSidebar")).to_have_count(0)

    family = client("198.51.100.5")  # the family, elsewhere, is not locked out
    log_in(family)
    expect(family.get_by_test_id("stSidebar").get_by_text("Summer 2023 #1")).to_be_visible(
        timeout=20_000
    )
    stranger.context.close()
    family.context.close()


def test_health_needs_no_login(app_url):
    body = httpx.get(app_url + "/health").json()
    assert body == {"status": "ok", "storage": "local", "cache": "local", "cache_reachable": True}
    assert httpx.get(app_url + "/_stcore/health").status_code == 200


def test_a_bookmarked_video_needs_a_login_then_opens(page, app_url):
    page.goto(app_url + "/watch?v=Summer%202023%20%231%2FBeach%20day.mp4")
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
    expect(page.locator("video")).to_have_count(0)
    expect(page.get_by_text("Beach day")).to_have_count(0)  # nothing of the library shows
    log_in_for_good(page)
    expect(heading(page, "Beach day")).to_be_visible(timeout=20_000)
    wait_for_video(page, "v.currentTime > 0.5")


def test_a_bookmarked_library_url_opens_without_a_page_not_found(page, app_url):
    """Every URL the app shows opens as it is: the library is also at /library."""
    log_in_for_good(page)
    page.goto(app_url + "/library?folder=Summer%202023%20%231")
    expect(heading(page, "Summer 2023 #1")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_cards_use_the_width_of_a_phone(browser, app_url):
    """On a 390-px phone a card spans the page instead of a fixed 240-px column."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.goto(app_url)
    log_in_for_good(phone)
    beach = card(phone, "Party #2 ?").first
    expect(beach).to_be_visible()
    main = phone.get_by_test_id("stMainBlockContainer").bounding_box()
    box = beach.bounding_box()
    assert box["width"] >= 0.85 * main["width"], (box, main)
    beach.tap()  # one tap on the card plays it
    expect(heading(phone, "Party #2 ?")).to_be_visible()
    context.close()


def test_a_card_is_a_link_one_run_to_open_the_browser_s_back_and_a_new_tab(page, app_url):
    """A tap on a card opens the video with one script run of the watch page (a callback that
    switched pages cost two); the browser's Back returns to the folder; and the card's address
    opens the same video in a new tab (a long press, a middle click)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    runs = []  # one new_session message starts every script run

    def count(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "new_session":
                runs.append(msg.new_session.page_script_hash)

    page.on("websocket", lambda ws: ws.on("framereceived", count))
    page.reload()  # the websocket now opens with the listener on it
    log_in_for_good(page)
    open_folder(page, "Summer 2023 #1")
    folder_url = page.url
    beach = card(page, "Beach day")
    href = beach.get_attribute("href")
    assert href.startswith(app_url + "/watch?v="), href

    runs.clear()
    page.evaluate("window.hmSamePage = true")
    beach.click()
    expect(heading(page, "Beach day")).to_be_visible()
    wait_for_video(page, "v.currentTime > 0.3")
    assert len(runs) == 1, runs
    assert page.url == href
    assert page.evaluate("window.hmSamePage === true")  # no reload of the whole app

    page.go_back()
    expect(heading(page, "Summer 2023 #1")).to_be_visible()
    expect(card(page, "Ünïcode café")).to_be_visible()
    assert page.url == folder_url

    tab = page.context.new_page()
    tab.goto(href)
    expect(heading(tab, "Beach day")).to_be_visible(timeout=20_000)
    wait_for_video(tab, "v.currentTime > 0.3")
    tab.close()
