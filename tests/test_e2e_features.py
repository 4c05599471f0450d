"""Share links, device login with a phone, resume and subtitles, end to end: the real app in
headless Chromium, with separate browser contexts for separate people and devices."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from homemovies_core.formatting import human_duration
from tests.support.accounts import COOKIE_KEY, USER, local_app
from tests.support.browser import REPO_ROOT, serving_app, wait_for_video
from tests.support.flows import (
    heading,
    log_in,
    log_in_for_good,
    logged_in_library,
    open_folder,
    play,
    settle,
)
from tests.support.media import make_clip, make_library

FRENCH = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nUne fête, un test.\n"
TV_AGENT = (
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36"
)
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


@pytest.fixture(scope="module")
def features_library(tmp_path_factory) -> Path:
    """The usual test library, plus a 20-second clip (the usual ones are 4 s: too short to
    stop more than 5 s in) and French subtitles inside the HLS video's folder."""
    root = make_library(tmp_path_factory.mktemp("features-library"))
    make_clip(root / "Long films" / "Long walk.mp4", seconds=20)
    (root / "Home videos" / "Party #2 ?.hls" / "fr.vtt").write_text(FRENCH, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def url(features_library):
    with serving_app(local_app(features_library, "--trusted_proxies", "127.0.0.1")) as base:
        yield base


def open_page(browser: Browser, url: str, **context_options) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    page = context.new_page()
    page.goto(url)
    return page


def logged_in(browser: Browser, url: str) -> Page:
    """A new context, logged in with the password."""
    page = open_page(browser, url)
    log_in_here(page)
    return page


def log_in_here(page: Page) -> None:
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    log_in_for_good(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=20_000)


def test_share_link_plays_without_an_account_until_revoked(browser, url):
    owner = logged_in(browser, url)
    open_folder(owner, "Summer 2023 #1")
    play(owner, "Beach day")
    owner.get_by_role("button", name=re.compile("Share")).click()
    expect(owner.get_by_role("radio", name="2 days")).to_be_checked()  # the default
    owner.get_by_role("button", name="Create link").click()
    settle(owner)
    link = owner.get_by_test_id("stCode").first.inner_text().strip()
    assert re.fullmatch(re.escape(url) + r"/shared\?t=[A-Za-z0-9_\-]{43}", link), link

    stranger = open_page(browser, link)  # a new context: no cookies, never logged in
    wait_for_video(stranger, "v.currentTime > 1.5")
    expect(heading(stranger, "Beach day")).to_be_visible()
    expect(stranger.get_by_text(re.compile(r"expires in 2 days"))).to_be_visible()
    text = stranger.locator("body").inner_text()
    for secret in (USER, "Summer 2023", "Ünïcode", "Home videos", "Log in"):
        assert secret not in text, f"the shared page shows {secret!r}"
    expect(stranger.get_by_test_id("stSidebar")).to_have_count(0)

    owner.goto(url + "/shares")
    expect(heading(owner, "Shared links")).to_be_visible(timeout=20_000)
    owner.get_by_role("button", name="Revoke").first.click()
    settle(owner)
    expect(owner.get_by_text(re.compile("No video is shared right now"))).to_be_visible()

    stranger.reload()
    expect(stranger.get_by_text(re.compile("This link does not work any more"))).to_be_visible(
        timeout=20_000
    )
    expect(stranger.locator("video")).to_have_count(0)
    owner.context.close()
    stranger.context.close()


def test_password_protected_share_link(browser, url):
    owner = logged_in(browser, url)
    open_folder(owner, "Summer 2023 #1")
    play(owner, "Ünïcode café")
    owner.get_by_role("button", name=re.compile("Share")).click()
    owner.get_by_test_id("stRadio").get_by_text("1 hour", exact=True).click()
    owner.get_by_role("textbox", name="Password (optional)").fill("grandma's secret")
    owner.get_by_role("button", name="Create link").click()
    settle(owner)
    link = owner.get_by_test_id("stCode").first.inner_text().strip()

    guest = open_page(browser, link, extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
    password = guest.get_by_role("textbox", name=re.compile("Password"))
    password.fill("guess")
    guest.get_by_role("button", name="Watch").click()
    expect(guest.get_by_text("That is not the password.")).to_be_visible(timeout=20_000)
    expect(guest.locator("video")).to_have_count(0)
    password.fill("grandma's secret")
    guest.get_by_role("button", name="Watch").click()
    wait_for_video(guest, "v.currentTime > 1.0")
    expect(guest.get_by_text(re.compile(r"expires in (59|60) minutes"))).to_be_visible()
    owner.context.close()
    guest.context.close()


def test_unknown_share_tokens_get_one_sentence_and_are_throttled(browser, url):
    guesser = open_page(
        browser,
        url + "/shared?t=not-a-real-token",
        extra_http_headers={"X-Forwarded-For": "203.0.113.77"},
    )
    expect(guesser.get_by_text(re.compile("This link does not work any more"))).to_be_visible(
        timeout=20_000
    )
    for attempt in range(20):
        guesser.goto(f"{url}/shared?t=guess{attempt}")
        expect(
            guesser.get_by_text(re.compile("This link does not work any more|Too many"))
        ).to_be_visible(timeout=20_000)
    expect(guesser.get_by_text(re.compile("Too many links that do not work"))).to_be_visible()
    guesser.context.close()


def tv_asks_for_a_code(browser, url):
    tv = open_page(
        browser, url, user_agent=TV_AGENT, extra_http_headers={"X-Forwarded-For": "198.51.100.7"}
    )
    tv.get_by_role("button", name="Show a code for my phone").click()
    code_heading = tv.get_by_role("heading", name=CODE)
    expect(code_heading).to_be_visible(timeout=20_000)
    check = re.search(
        r"type this number on the phone: (\d{3})",
        tv.get_by_text(re.compile("type this number on the phone")).inner_text(),
    )
    return tv, code_heading.inner_text().strip(), check.group(1)


def test_a_phone_logs_the_tv_in(browser, url):
    tv, code, check = tv_asks_for_a_code(browser, url)
    expect(tv.get_by_role("img", name="QR code")).to_be_visible()

    phone = open_page(
        browser, f"{url}/pair?code={code}", extra_http_headers={"X-Forwarded-For": "198.51.100.20"}
    )
    expect(phone.get_by_text(re.compile("Log in to let the device"))).to_be_visible(timeout=30_000)
    expect(phone.get_by_role("button", name="Show a code for my phone")).to_have_count(0)
    log_in(phone)
    expect(phone.get_by_text(re.compile("Samsung Internet on a Samsung TV")).first).to_be_visible(
        timeout=20_000
    )
    expect(phone.get_by_text("198.51.100.7").first).to_be_visible()
    expect(phone.get_by_text(re.compile("on the same network as this phone")).first).to_be_visible()
    phone.get_by_role("textbox", name=re.compile("3-digit number")).fill(check)
    # The TV polls every 2 s, then shows the library: no password typed there. Then it collects
    # its login cookie from /auth/session, as a page does after a password (log_in_for_good):
    # a reload before that answer is a reload of a page that has not stored its login yet (a
    # fresh clone's run reloaded 30 ms early, and the TV showed the login form).
    with tv.expect_response(
        lambda r: r.url.endswith("/auth/session") and r.status == 204, timeout=30_000
    ):
        phone.get_by_role("button", name="Approve").click()
        expect(phone.get_by_text(re.compile("Approved"))).to_be_visible(timeout=20_000)
        expect(logged_in_library(tv)).to_be_visible(timeout=30_000)
    tv.reload()  # the cookie keeps it logged in, like a password login's
    expect(logged_in_library(tv)).to_be_visible(timeout=30_000)
    assert any(c["name"] == "hm_session" for c in tv.context.cookies())

    # The phone sees the TV among the devices, and can log it out from there.
    phone.goto(f"{url}/devices")
    expect(heading(phone, "Devices")).to_be_visible(timeout=20_000)
    tv_row = phone.get_by_text("Samsung Internet on a Samsung TV", exact=True)
    expect(tv_row).to_be_visible()
    phone.get_by_role("button", name="Log out Samsung Internet on a Samsung TV").click()
    expect(tv_row).to_have_count(0, timeout=20_000)
    tv.reload()
    expect(tv.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)

    # The code worked once: opening it again on the phone is refused.
    phone.goto(f"{url}/pair?code={code}")
    expect(phone.get_by_text(re.compile("This code does not work"))).to_be_visible(timeout=20_000)
    tv.context.close()
    phone.context.close()


def test_a_sent_pairing_link_cannot_be_approved_without_the_screen(browser, url):
    """The phishing case: a stranger's TV code sent as a link. Without the number on the
    stranger's screen the family's phone cannot approve it; three wrong numbers burn it."""
    tv, code, check = tv_asks_for_a_code(browser, url)
    phone = open_page(
        browser, f"{url}/pair?code={code}", extra_http_headers={"X-Forwarded-For": "192.0.2.44"}
    )
    log_in_here(phone)
    expect(phone.get_by_text(re.compile("not on this phone's network")).first).to_be_visible(
        timeout=20_000
    )
    expect(phone.get_by_text(re.compile("If someone sent you this link"))).to_be_visible()
    wrong = f"{(int(check) + 1) % 1000:03d}"
    for attempt in range(3):
        phone.get_by_role("textbox", name=re.compile("3-digit number")).fill(wrong)
        phone.get_by_role("button", name="Approve").click()
        settle(phone)
        if attempt < 2:
            expect(phone.get_by_text(re.compile("That is not the number on the TV"))).to_be_visible(
                timeout=20_000
            )
    expect(phone.get_by_text(re.compile("This code does not work"))).to_be_visible(timeout=20_000)
    expect(tv.get_by_role("button", name="Log in")).to_be_visible()  # never logged in
    assert not any(c["name"] == "hm_session" for c in tv.context.cookies())
    tv.context.close()
    phone.context.close()


def test_resume_where_you_left_off(browser, url):
    page = logged_in(browser, url)
    open_folder(page, "Long films")
    play(page, "Long walk")
    wait_for_video(page, "v.currentTime >= 5.5")
    with page.expect_response(lambda r: r.url.endswith("/api/progress")) as report:
        page.locator("video").first.evaluate("v => v.pause()")
    assert report.value.status == 204

    page.reload()
    expect(heading(page, "Long walk")).to_be_visible(timeout=20_000)
    expect(page.get_by_text(re.compile("Resuming at 0:0[5-6]"))).to_be_visible()
    # Played ranges start where playback started: a resume begins there, not at 0.
    wait_for_video(page, "v.played.length > 0 && v.currentTime > v.played.start(0) + 0.5")
    assert page.locator("video").first.evaluate("v => v.played.start(0)") >= 4.0

    page.get_by_role("button", name=re.compile("Start over")).click()
    wait_for_video(page, "v.played.length > 0 && v.played.start(0) < 1 && v.currentTime > 0.5")

    # A second device (another context, same user) sees it in "Continue watching".
    other = logged_in(browser, url)
    with page.expect_response(lambda r: r.url.endswith("/api/progress")):
        page.locator("video").first.evaluate("v => { v.currentTime = 12; v.pause(); }")
    other.reload()
    expect(heading(other, "Continue watching")).to_be_visible(timeout=20_000)
    expect(other.get_by_text("Long walk", exact=True).first).to_be_visible()
    expect(other.get_by_role("progressbar", name="Watched").first).to_be_visible()  # the bar
    page.context.close()
    other.context.close()


def test_subtitle_tracks_are_listed_with_their_language(browser, url):
    page = logged_in(browser, url)
    open_folder(page, "Summer 2023 #1")
    play(page, "Beach day")
    wait_for_video(page, "v.textTracks.length >= 1")
    tracks = page.locator("video").first.evaluate(
        "v => Array.from(v.textTracks, t => [t.kind, t.language, t.label])"
    )
    assert ["subtitles", "en", "English"] in tracks  # from "Beach day.en.vtt"

    page.get_by_role("link", name="← Back").click()
    open_folder(page, "Home videos")
    play(page, "Party #2 ?")
    wait_for_video(page, "v.textTracks.length >= 1")
    video = page.locator("video").first
    assert video.evaluate("v => Array.from(v.textTracks, t => t.language)") == ["fr"]
    # The file is really served to the player: switch it on and wait for its cue.
    video.evaluate("v => { v.textTracks[0].mode = 'showing'; }")
    wait_for_video(page, "v.textTracks[0].cues && v.textTracks[0].cues.length > 0")
    page.context.close()


def test_progress_route_refuses_forged_tokens(url):
    answer = httpx.post(
        url + "/api/progress", json={"token": "forged.token", "position": 5, "duration": 10}
    )
    assert answer.status_code == 403
    assert httpx.post(url + "/api/progress", content=b"not json").status_code == 400


# ---- A login per family member -----------------------------------------------------------------

FAMILY = {"mum": "mum's own password", "dad": "dad's own password"}


def continue_watching_bar(page: Page) -> int:
    """How far "Long walk" is watched, in percent, on the library's "Continue watching" row."""
    row = page.get_by_role("list", name="Continue watching")
    expect(row.get_by_role("link", name="Long walk, play")).to_be_visible(timeout=20_000)
    return int(row.get_by_role("progressbar", name="Watched").first.get_attribute("aria-valuenow"))


def test_two_family_members_resume_different_positions_in_the_same_video(
    browser, features_library, tmp_path
):
    users_file = tmp_path / "users.yaml"
    for name, password in FAMILY.items():  # as a family sets it up: with the `users` command
        added = subprocess.run(
            [
                sys.executable,
                "-m",
                "homemovies_core",
                "users",
                "add",
                name.title(),
                "--users_file",
                str(users_file),
            ],
            input=password + "\n",
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        assert added.returncode == 0, added.stderr
    with serving_app(
        [
            "--media_dir",
            str(features_library),
            "--users_file",
            str(users_file),
            "--cookie_key",
            COOKIE_KEY,
            "--trusted_proxies",
            "127.0.0.1",
        ]
    ) as base:
        people = {}
        for name, password in FAMILY.items():
            page = open_page(browser, base)
            expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
            log_in_for_good(page, password, name)
            expect(logged_in_library(page)).to_be_visible(timeout=20_000)
            open_folder(page, "Long films")
            play(page, "Long walk")
            people[name] = page
        mum, dad = people["mum"], people["dad"]

        # Mum watches the first few seconds; Dad skips to 0:14. Each pause reports a position:
        # where the video stood when it paused (a loaded machine may pause Mum's a little late).
        def pause(page: Page, then: str = "") -> float:
            with page.expect_response(lambda r: r.url.endswith("/api/progress")) as report:
                paused_at = page.locator("video").first.evaluate(
                    f"v => {{ {then} v.pause(); return v.currentTime; }}"
                )
            assert report.value.status == 204
            return paused_at

        wait_for_video(mum, "v.currentTime >= 5.5")
        left = {"mum": pause(mum)}
        wait_for_video(dad, "v.currentTime > 0.5")
        left["dad"] = pause(dad, then="v.currentTime = 14;")
        assert left["mum"] < 10 and 14 <= left["dad"] < 15

        # Each comes back to their own place, not the other's.
        for name, page in (("mum", mum), ("dad", dad)):
            page.reload()
            expect(heading(page, "Long walk")).to_be_visible(timeout=20_000)
            expect(
                page.get_by_text(f"Resuming at {human_duration(left[name])}, where you left off")
            ).to_be_visible()
            wait_for_video(page, "v.played.length > 0 && v.currentTime > v.played.start(0) + 0.5")
            left[name] = pause(page)  # where it stands now
            page.goto(base)
        # ... and their own "Continue watching" bar, out of the film's 20 seconds.
        for name, page in (("mum", mum), ("dad", dad)):
            assert abs(continue_watching_bar(page) - left[name] / 20 * 100) <= 2, name
        assert continue_watching_bar(mum) < 55 <= continue_watching_bar(dad)

        # A link Mum makes shows on everyone's Shared links page as hers.
        mum.get_by_role("list", name="Continue watching").get_by_role(
            "link", name="Long walk, play"
        ).click()
        expect(heading(mum, "Long walk")).to_be_visible(timeout=20_000)
        mum.get_by_role("button", name=re.compile("Share")).click()
        mum.get_by_role("button", name="Create link").click()
        settle(mum)
        expect(mum.get_by_test_id("stCode").first).to_be_visible()
        dad.goto(base + "/shares")
        expect(heading(dad, "Shared links")).to_be_visible(timeout=20_000)
        expect(dad.get_by_text("Long walk", exact=True)).to_be_visible()
        # (Shown by user name or display name: "mum" or "Mum".)
        expect(
            dad.get_by_text(re.compile(r"^Made .+ by mum · expires", re.IGNORECASE))
        ).to_be_visible()
        mum.context.close()
        dad.context.close()
