"""What a person does in the browser, one action each, each click exactly once.

There is no retry anywhere here: a click the app drops must fail the test (the product
makes every click count; see homemovies_core/ui/navigation.py and ui/auth.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, USER


def settle(page: Page) -> None:
    """Wait for the script run to finish: Streamlit keeps the previous run's elements, marked
    stale, on screen until the new ones replace them."""
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=stStatusWidget] button')",
        timeout=30_000,
    )


def heading(page: Page, title: str):
    settle(page)
    return page.get_by_role("heading", name=title, exact=True).first


def log_in(page: Page, password: str = PASSWORD, user: str = USER) -> None:
    """Fill in the form the moment it is there and click "Log in" once."""
    page.get_by_role("textbox", name="Username").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def logged_in_library(page: Page):
    """The sidebar's folder list: what a logged-in person sees first."""
    return page.get_by_test_id("stSidebar").get_by_role("radiogroup")


def open_folder(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(title, exact=True).click()
    expect(heading(page, title)).to_be_visible(timeout=20_000)


def card(page: Page, title: str):
    """A video card: one link named "<title>, play" (or "<title>, details")."""
    return page.get_by_role("link", name=re.compile("^" + re.escape(title) + ", (play|details)$"))


def play(page: Page, title: str) -> None:
    card(page, title).first.click()
    expect(heading(page, title)).to_be_visible(timeout=20_000)


def log_in_for_good(page: Page, password: str = PASSWORD, user: str = USER) -> None:
    """Log in and wait until the browser holds the login cookie (the page collects it from
    /auth/session right after the login), so that a reload stays logged in."""
    with page.expect_response(
        lambda r: r.url.endswith("/auth/session") and r.status == 204, timeout=30_000
    ):
        log_in(page, password, user)
