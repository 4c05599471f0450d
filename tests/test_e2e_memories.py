"""Home movies as memories, in Chromium: cards show when a video was filmed (indexed with the
real `index` command from the clips' own metadata), folders go newest-filmed first under
year headings, the Timeline page groups by month and jumps to a year, and the landing view
shows "On this day" in the viewer's time zone."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.accounts import local_app
from tests.support.browser import REPO_ROOT, serving_app
from tests.support.flows import card, heading, log_in_for_good, open_folder
from tests.support.media import make_library, tagged_clip

ZONE = "Europe/Lisbon"


def anniversary(years_back: int) -> date:
    today = datetime.now(ZoneInfo(ZONE)).date()
    try:
        return today.replace(year=today.year - years_back)
    except ValueError:  # 29 February
        return date(today.year - years_back, 2, 28)


@pytest.fixture(scope="module")
def memories_library(tmp_path_factory) -> Path:
    root = make_library(tmp_path_factory.mktemp("memories"))
    folder = root / "Family"
    folder.mkdir()
    day = anniversary(3)
    tagged_clip(
        folder / "Picnic.mov", f"com.apple.quicktime.creationdate={day.isoformat()}T12:00:00+0100"
    )
    tagged_clip(folder / "Snowman.mp4", "creation_time=2021-01-03T10:00:00Z")
    tagged_clip(folder / "First steps.mp4", "creation_time=2016-05-01T08:00:00Z")
    index = subprocess.run(
        [
            sys.executable,
            "-m",
            "homemovies_core",
            "index",
            "--media_dir",
            str(root),
            "--no_posters",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert index.returncode == 0, index.stderr
    return root


@pytest.fixture(scope="module")
def url(memories_library):
    with serving_app(local_app(memories_library)) as base:
        yield base


@pytest.fixture
def page(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE)
    page = context.new_page()
    page.goto(url)
    log_in_for_good(page)
    yield page
    context.close()


def folder_titles(page) -> list[str]:
    """The cards of the folder's own grids (one per year heading), in order."""
    grids = page.get_by_role("list", name=re.compile("^Videos in Family"))
    return grids.get_by_role("link").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")


def test_on_this_day_on_the_landing_view(page):
    expect(heading(page, "On this day")).to_be_visible()
    row = page.get_by_role("list", name="On this day")
    memories = row.get_by_role("link")
    expect(memories).to_have_count(1)  # only today's anniversaries
    expect(memories).to_have_accessible_name("Picnic, play")
    day = f"{anniversary(3).day} {anniversary(3):%b %Y}"
    expect(row).to_contain_text(f"3 years ago · {day}")
    # The folder and the day are what a screen reader says after the name.
    expect(memories).to_have_accessible_description(re.compile(f"Family.*3 years ago · {day}"))


def test_cards_show_when_filmed_newest_first_under_year_headings(page):
    open_folder(page, "Family")
    assert folder_titles(page) == ["Picnic, play", "Snowman, play", "First steps, play"]
    # When it was filmed and how long it lasts, shown on the card and said after its name.
    snowman = page.get_by_role("listitem").filter(has=card(page, "Snowman"))
    expect(snowman).to_contain_text("3 Jan 2021 · 0:02")
    expect(card(page, "Snowman")).to_have_accessible_description(re.compile("3 Jan 2021 · 0:02"))
    for year in (str(anniversary(3).year), "2021", "2016"):
        expect(heading(page, year)).to_be_visible()
    page.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Oldest first").click()
    expect(page).to_have_url(re.compile(r"sort=oldest"))
    grids = page.get_by_role("list", name=re.compile("^Videos in Family"))
    expect(grids.get_by_role("link")).to_have_text(
        [re.compile("First steps"), re.compile("Snowman"), re.compile("Picnic")]
    )


def test_the_timeline_by_month_and_a_jump_to_a_year(page, url):
    page.goto(url + "/timeline")
    expect(heading(page, "Timeline")).to_be_visible()
    expect(heading(page, "January 2021")).to_be_visible()
    expect(heading(page, "May 2016")).to_be_visible()
    months = page.get_by_role("heading", level=3).all_inner_texts()
    assert months.index("January 2021") < months.index("May 2016")  # newest first
    page.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="2016").click()
    expect(page).to_have_url(re.compile(r"year=2016"))
    expect(heading(page, "May 2016")).to_be_visible()
