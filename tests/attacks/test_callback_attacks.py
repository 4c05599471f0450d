"""One tab, one person (issue 16, findings 8 and 10), in the real app in Chromium: a click in
a tab whose session was just ended acts no more, and the next person to log in on a tab
does not inherit the last one's resume points.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import COOKIE_KEY, USER, users_file
from tests.support.browser import serving_app, wait_for_video
from tests.support.flows import heading, log_in, log_in_for_good, open_folder
from tests.support.flows import play as open_video

CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
TV = "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 SamsungBrowser/4.0 TV Safari"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(scope="module")
def url(tmp_path_factory, library_dir):
    users = users_file(tmp_path_factory.mktemp("family") / "users.yaml", USER, "dad")
    args = ["--media_dir", str(library_dir), "--users_file", str(users)]
    with serving_app([*args, "--cookie_key", COOKIE_KEY]) as base:
        yield base


def open_page(browser, url: str, **options) -> Page:
    page = browser.new_context(**options).new_page()
    page.goto(url)
    return page


def test_a_tab_logged_out_from_the_devices_page_cannot_approve_a_tv(browser, url):
    """Callbacks run before the script's login gate: the phone's Approve went through after
    its session had been ended from the Devices page."""
    tv = open_page(browser, url, user_agent=TV)
    tv.get_by_role("button", name="Show a code for my phone").click()
    code_heading = tv.get_by_role("heading", name=CODE)
    expect(code_heading).to_be_visible()
    code = code_heading.inner_text().strip()
    check = re.search(r"phone: (\d{3})", tv.get_by_text("type this number").inner_text())[1]

    phone = open_page(browser, f"{url}/pair?code={code}", user_agent=PHONE)
    log_in(phone)
    number = phone.get_by_role("textbox", name=re.compile("3-digit number"))
    expect(number).to_be_visible()
    number.fill(check)

    laptop = open_page(browser, url)
    log_in_for_good(laptop)
    laptop.goto(f"{url}/devices")
    expect(heading(laptop, "Devices")).to_be_visible()
    ended = laptop.get_by_role("button", name="Log out Safari on an iPhone")
    ended.click()
    expect(ended).to_have_count(0)

    phone.get_by_role("button", name="Approve").click()
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()
    # Logged in again, the phone finds the code still waiting: it was never approved.
    log_in(phone)
    expect(phone.get_by_role("textbox", name=re.compile("3-digit number"))).to_be_visible()
    expect(tv.get_by_role("button", name="Log in")).to_be_visible()
    for page in (tv, phone, laptop):
        page.context.close()


def reported_user(page: Page) -> str:
    """Whose resume point the player's next progress report writes: its token's user."""
    with page.expect_request(lambda r: r.url.endswith("/api/progress")) as sent:
        page.locator("video").first.evaluate("v => v.pause()")
    token = json.loads(sent.value.post_data)["token"]
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["u"]


def test_the_next_person_on_a_tab_writes_their_own_resume_points(browser, url):
    """Mum logged out on a watch page, dad logged in on the same tab: dad's watching was
    written into mum's resume points."""
    page = open_page(browser, url)
    log_in_for_good(page)
    open_folder(page, "Summer 2023 #1")
    open_video(page, "Beach day")
    wait_for_video(page, "v.currentTime > 0.5")
    assert reported_user(page) == USER

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log_in(page, user="dad")  # same tab, still at /watch?v=…
    expect(heading(page, "Beach day")).to_be_visible()
    wait_for_video(page, "v.currentTime > 0.5")
    assert reported_user(page) == "dad"
    page.context.close()
