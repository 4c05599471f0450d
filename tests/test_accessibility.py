"""Accessibility in a real Chromium: axe-core's WCAG 2.x A/AA rules on every page the family
uses, and tap targets on a 390-px phone.

axe-core comes from node_modules (the npm package the app pins), evaluated into the page by
Playwright; nothing is fetched from a CDN. Playwright's evaluate is not subject to the page's
Content-Security-Policy, so a stricter policy later cannot silently turn this test off.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import local_app
from tests.support.browser import REPO_ROOT, serving_app
from tests.support.flows import heading, log_in_for_good, settle
from tests.support.media import make_library

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}
MIN_TARGET = 24  # CSS px: WCAG 2.2 "Target Size (Minimum)"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

FOLDER = "Summer 2023 #1"
VIDEO = "Beach day"

# Every page a logged-in person reaches, by its URL (the app draws each from its URL alone),
# and what shows that it has finished drawing.
PAGES = {
    "library": ("/", lambda p: p.get_by_role("list", name=r"Videos in Home videos")),
    "folder": (
        "/?folder=" + quote(FOLDER, safe=""),
        lambda p: p.get_by_role("list", name=f"Videos in {FOLDER}"),
    ),
    "watch": (
        "/watch?v=" + quote(f"{FOLDER}/{VIDEO}.mp4", safe=""),
        lambda p: p.locator("video"),
    ),
    "timeline": ("/timeline", lambda p: p.get_by_role("list", name="Videos of").first),
    "shares": ("/shares", lambda p: p.get_by_role("button", name="Revoke")),
    "devices": ("/devices", lambda p: heading(p, "Devices")),
    "add": ("/add", lambda p: p.get_by_label("Videos to add")),
}
ALL_PAGES = ["login", *PAGES]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    library = make_library(tmp_path_factory.mktemp("a11y-library"))
    with serving_app(local_app(library)) as base:
        yield base


@pytest.fixture(scope="module")
def shared_link(browser: Browser, url: str) -> None:
    """One active share link, so that the Shared links page shows its list (made once)."""
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(url)
    log_in_for_good(page)
    page.goto(url + PAGES["watch"][0])
    expect(heading(page, VIDEO)).to_be_visible()
    open_share_panel(page)
    page.get_by_role("button", name="Create link").click()
    expect(page.get_by_test_id("stCode")).to_be_visible()
    context.close()


def fonts_loaded(page: Page) -> None:
    """Wait for the fonts the page uses now: until Streamlit's icon font arrives, an icon is
    its name in plain text ("visibility"), a box of another size."""
    page.evaluate("async () => { document.body.offsetHeight; await document.fonts.ready; }")


def styled(page: Page) -> None:
    """Wait for the app's own stylesheet (ui/tap_targets.css): Streamlit mounts it a moment
    after the rest of a freshly loaded page."""
    page.wait_for_function(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--hm-min-target')"
    )


def open_page(browser: Browser, url: str, name: str, device: dict) -> Page:
    """A new browser context on page `name`, logged in unless it is the login page, drawn."""
    page = browser.new_context(**device).new_page()
    page.goto(url)
    if name == "login":
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
    else:
        log_in_for_good(page)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        path, drawn = PAGES[name]
        page.goto(url + path)
        expect(drawn(page).first).to_be_visible()
    settle(page)
    styled(page)
    fonts_loaded(page)
    return page


def open_share_panel(page: Page) -> None:
    page.get_by_role("button", name="🔗 Share").click()
    expect(page.get_by_role("button", name="Create link")).to_be_visible()
    fonts_loaded(page)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.x A/AA violations on the page as drawn."""
    source = AXE.read_text(encoding="utf-8")
    for frame in page.frames:  # axe checks frames through the copy inside each
        if frame.evaluate("() => typeof axe === 'undefined'"):
            frame.evaluate(f"() => {{ {source}\n }}")
    results = page.evaluate(
        """async (tags) => {
          const r = await axe.run(document, {
            runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
          });
          return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200),
                                         why: n.failureSummary })),
          }));
        }""",
        WCAG_TAGS,
    )
    return [v for v in results if v["impact"] in BLOCKING]


# Every element a finger can activate, looked for through open shadow roots (our card grid
# and player are st.components.v2, which mount in one). Invisible is not untappable: a heading's
# anchor link at opacity 0 still takes a tap, so it counts. A radio or checkbox is tapped
# anywhere on its label, so the label is measured. Exempt: the closed sidebar, off the screen
# (measured again once opened), and visually hidden skip links (clipped to a pixel until
# focused from the keyboard).
SMALL_TARGETS_JS = """
(minimum) => {
  const SELECTOR = [
    "a[href]", "button", "input:not([type=hidden])", "select", "textarea", "summary",
    "[role=button]", "[role=link]", "[role=checkbox]", "[role=radio]", "[role=switch]",
    "[role=tab]", "[role=option]", "[role=menuitem]", "[tabindex]:not([tabindex='-1'])",
  ].join(",");
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.matches(SELECTOR)) all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const rendered = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const inClosedSidebar = (el, box) => (box.right <= 0 || box.left >= window.innerWidth)
    && el.closest("[data-testid=stSidebar]") !== null;
  const skipLink = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const hidden = box.width <= 1 || box.height <= 1 || style.clipPath === "inset(50%)"
      || style.clip === "rect(0px, 0px, 0px, 0px)";
    return hidden && el.matches("a[href^='#']");
  };
  const describe = (el) => {
    const name = el.getAttribute("aria-label") || el.innerText || el.getAttribute("title")
      || el.getAttribute("data-testid") || "";
    return `<${el.tagName.toLowerCase()}> "${name.replace(/\\s+/g, " ").trim().slice(0, 60)}"`;
  };
  const small = new Map();
  for (const el of all) {
    const target = (el.matches("input[type=radio], input[type=checkbox]")
      && (el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`))))
      || el;
    if (!rendered(target) || skipLink(target)) continue;
    const box = target.getBoundingClientRect();
    if (inClosedSidebar(target, box)) continue;
    if (box.width < minimum || box.height < minimum) {
      small.set(target, `${describe(target)} ${box.width.toFixed(0)}×${box.height.toFixed(0)}`);
    }
  }
  return [...small.values()];
}
"""

# The sidebar has finished sliding in: no animation left, at the screen's edge.
SIDEBAR_OPEN_JS = """() => {
  const bar = document.querySelector("[data-testid=stSidebar]");
  return bar.getAnimations({ subtree: true }).length === 0
    && bar.getBoundingClientRect().left === 0;
}"""


def small_targets(page: Page, name: str) -> list[str]:
    """Targets under the minimum on the page as a phone first shows it, then with what opens
    on it: the Share panel of a video, the sidebar (navigation, search, folders)."""
    small = page.evaluate(SMALL_TARGETS_JS, MIN_TARGET)

    def more() -> None:
        small.extend(s for s in page.evaluate(SMALL_TARGETS_JS, MIN_TARGET) if s not in small)

    if name == "watch":
        open_share_panel(page)
        more()
        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Create link")).to_be_hidden()
    if name != "login":  # a stranger has no sidebar
        page.get_by_role("button", name="Expand sidebar").click()
        page.wait_for_function(SIDEBAR_OPEN_JS)
        fonts_loaded(page)
        more()
    return small


@pytest.mark.parametrize("name", ALL_PAGES)
def test_no_serious_axe_violation(browser, url, shared_link, name):
    page = open_page(browser, url, name, DESKTOP)
    try:
        found = axe_violations(page)
        if name == "watch":  # and with its Share panel open
            open_share_panel(page)
            found += axe_violations(page)
        assert found == [], f"axe-core on {name}:\n" + json.dumps(found, indent=1)
    finally:
        page.context.close()


@pytest.mark.parametrize("name", ALL_PAGES)
def test_tap_targets_are_at_least_24px_on_a_phone(browser, url, shared_link, name):
    page = open_page(browser, url, name, PHONE)
    try:
        small = small_targets(page, name)
        assert small == [], f"targets under {MIN_TARGET} px on {name}: {small}"
    finally:
        page.context.close()


def test_a_card_is_named_by_its_title_first(browser, url):
    """A screen reader (and a voice command) meets a card by the words on it: its name starts
    with the title shown, then what a tap does; where and when are its description."""
    page = open_page(browser, url, "folder", DESKTOP)
    try:
        links = page.get_by_role("list", name=f"Videos in {FOLDER}").get_by_role("link")
        titles = links.all_inner_texts()
        assert sorted(titles) == [VIDEO, "Ünïcode café"], titles
        for link, title in zip(links.all(), titles, strict=True):
            expect(link).to_have_accessible_name(f"{title}, play")
            expect(link).to_have_accessible_description(re.compile(r"^\d{1,2} \w{3} \d{4} · "))
    finally:
        page.context.close()
