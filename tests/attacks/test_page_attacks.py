"""Attacks on the pages of the real app in Chromium (issue #8, findings 1, 3, 6, 9, 10, 12):
a stranger's first request after start-up, Markdown in every string a user controls, hostile
cookies, parallel password guesses, and what a share link shows before its password.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import USER, local_app
from tests.support.browser import serving_app, wait_for_video
from tests.support.flows import heading, log_in_for_good, open_folder, settle
from tests.support.media import make_clip, make_library

PHISH = "[Session expired – log in](https://evil.example/login)"
PIXEL = "![](https://evil.example/pixel.png)"
# A name a file can have (no "/"): a link, a pixel, LaTeX, a colour directive and HTML.
EVIL_NAME = (
    "[Click me](evil.example) ![](evil.example) $x^2$ :red[alarm] <img src=x onerror=alert(1)>"
)


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory) -> Path:
    root = make_library(tmp_path_factory.mktemp("page-attacks"))
    folder = root / EVIL_NAME
    folder.mkdir()
    make_clip(folder / f"{EVIL_NAME}.mp4", seconds=2)
    return root


@pytest.fixture(scope="module")
def url(hostile_library):
    with serving_app(local_app(hostile_library, "--trusted_proxies", "127.0.0.1")) as base:
        yield base


def fresh(browser, url: str, path: str = "", **options) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    evil = []
    page.on(
        "request",
        lambda r: (urlsplit(r.url).hostname or "").endswith("evil.example") and evil.append(r.url),
    )
    page.evil_requests = evil
    page.goto(url + path)
    return page


def no_evil_links(page: Page) -> None:
    # A link that leads to evil.example, as Markdown would make of "[Click me](evil.example)".
    # The app's own links may carry the hostile text in their query ("← Back" keeps the
    # search: /?q=...evil.example...), encoded, where it leads nowhere.
    leading_there = page.locator("a").evaluate_all(
        """links => links
            .map(a => a.getAttribute('href') || '')
            .filter(href => href.split('?')[0].includes('evil.example'))"""
    )
    assert leading_there == []
    assert page.locator("img[src*='evil.example']").count() == 0
    assert page.locator(".katex").count() == 0  # `$…$` never became LaTeX
    assert page.evil_requests == []


def test_a_strangers_first_request_after_start_up_sees_only_the_login(browser, library_dir):
    """Finding 10: right after a restart, /watch for an existing and a missing video give the
    same login screen, with no automatic page list (no oracle for file names)."""
    with serving_app(local_app(library_dir)) as url:
        seen = []
        for video in ("Summer%202023%20%231%2FBeach%20day.mp4", "Summer%202023%20%231%2Fgone.mp4"):
            page = fresh(browser, url, f"/watch?v={video}")
            expect(page.get_by_role("button", name="Log in")).to_be_visible()
            expect(page.get_by_role("button", name="Show a code for my phone")).to_be_visible()
            settle(page)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            text = page.locator("[data-testid=stMain]").inner_text()
            for leak in ("Video not found", "Please log in", "Beach day", "watch", "library"):
                assert leak not in text, leak
            seen.append(text)
            page.context.close()
        assert seen[0] == seen[1]


def test_markdown_in_the_search_box_url_and_file_names_stays_text(browser, url):
    """Finding 6: `?q=`, folder and file names are shown as typed, never as links, images,
    emoji shortcodes, colours or LaTeX."""
    page = fresh(browser, url)
    log_in_for_good(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(url + "/library?q=" + PHISH.replace(" ", "%20") + "%20" + PIXEL)
    expect(page.get_by_role("heading", name=re.compile("^Search: "))).to_be_visible()
    settle(page)
    no_evil_links(page)
    shown = page.get_by_role("heading", name=re.compile("^Search: ")).inner_text()
    assert shown.replace("\u2060", "") == "Search: " + PHISH + " " + PIXEL  # as typed

    page.goto(url + "/library")  # its name sorts first: the folder a login opens
    expect(heading(page, EVIL_NAME)).to_be_visible()
    no_evil_links(page)
    link = page.get_by_role("link", name=f"{EVIL_NAME}, play")
    expect(link).to_be_visible()
    link.click()
    expect(heading(page, EVIL_NAME)).to_be_visible()
    wait_for_video(page, "v.currentTime > 0.3")
    no_evil_links(page)
    page.context.close()


def _jwt_none(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


@pytest.mark.parametrize(
    "cookies",
    [
        {"home_movies_auth": _jwt_none({"username": USER, "exp_date": 9e12})},
        {"hm_session": _jwt_none({"s": "x", "u": USER})},
        {"hm_session": "Ünïcode.tøken"},
        {"hm_session": "a" * 4000},
        {"hm_session": "e30.AAAA"},
    ],
)
def test_hostile_cookies_never_break_a_page(browser, url, cookies):
    """Finding 9: a login cookie whose JWT says alg none (or any other junk) used to break every
    page for that browser, the public share page included."""
    context = browser.new_context()
    context.add_cookies([{"name": k, "value": v, "url": url} for k, v in cookies.items()])
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(url + "/shared?t=nothing")
    expect(page.get_by_text(re.compile("This link does not work any more"))).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    context.close()


def test_parallel_password_guesses_get_five_checks_in_all(browser, url):
    """Finding 3: ten tabs guessing at once from one address are counted before the password
    is checked: five get an answer about the password, the rest are told to wait."""
    pages = [
        fresh(browser, url, extra_http_headers={"X-Forwarded-For": "203.0.113.201"})
        for _ in range(10)
    ]
    for page in pages:
        page.get_by_role("textbox", name="Username").fill(USER)
        page.get_by_role("textbox", name="Password").fill("wrong guess")
    for page in pages:  # one click each, as fast as the browser takes them
        page.get_by_role("button", name="Log in").click(no_wait_after=True)
    answers = []
    for page in pages:
        alert = page.get_by_text(re.compile("Wrong user name or password|Too many failed"))
        expect(alert).to_be_visible()
        answers.append(alert.inner_text())
    assert sum("Wrong user name" in a for a in answers) == 5
    assert sum("Too many failed" in a for a in answers) == 5
    for page in pages:
        page.context.close()


def test_a_protected_share_link_shows_nothing_before_the_password(browser, url):
    """Finding 12: the title used to show above the password box."""
    owner = fresh(browser, url)
    log_in_for_good(owner)
    open_folder(owner, "Summer 2023 #1")
    owner.get_by_role("link", name="Beach day, play").click()
    expect(heading(owner, "Beach day")).to_be_visible()
    owner.get_by_role("button", name=re.compile("Share")).click()
    owner.get_by_role("textbox", name="Password (optional)").fill("grandma's secret")
    owner.get_by_role("button", name="Create link").click()
    settle(owner)
    link = owner.get_by_test_id("stCode").first.inner_text().strip()

    guest = fresh(browser, link, extra_http_headers={"X-Forwarded-For": "203.0.113.90"})
    expect(guest.get_by_role("textbox", name=re.compile("Password"))).to_be_visible()
    settle(guest)
    assert "Beach day" not in guest.locator("body").inner_text()
    assert guest.locator("video").count() == 0
    for page in (owner, guest):
        page.context.close()
