"""Guessing passwords at the real app in Chromium (issue 16, findings 3 and 6): the answers
must not tell user names apart, and a crowd of addresses guessing one name must meet a bound
that still lets the family in on a device they have logged in on before.

Loopback is "the proxy" here, so each browser context plays a client at its own address.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from homemovies_core.login_guard import PER_NAME, PER_NAME_AND_CLIENT
from tests.support.accounts import USER, local_app
from tests.support.browser import serving_app
from tests.support.flows import log_in, log_in_for_good, logged_in_library, settle

ANSWER = re.compile("Wrong user name or password|Too many failed attempts")


@pytest.fixture
def url(library_dir):
    """An app of its own for each test: the budgets count across clients."""
    with serving_app(local_app(library_dir, "--trusted_proxies", "127.0.0.1")) as base:
        yield base


def client(browser, url: str, address: str) -> Page:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
    page = context.new_page()
    page.goto(url)
    return page


def answer_to(page: Page, user: str, password: str = "wrong guess") -> str:
    """Log in once and wait for this click's answer: the run that answers also empties the
    password box (answers repeat, so their text alone cannot tell this one from the last)."""
    log_in(page, password, user)
    expect(page.get_by_role("textbox", name="Password")).to_have_value("")
    settle(page)
    alert = page.get_by_text(ANSWER)
    expect(alert).to_be_visible()
    return alert.inner_text()


def test_a_real_and_an_unknown_name_get_the_same_answers(browser, url):
    """After a few junk names, an unknown name said "Too many failed attempts…" and a real one
    "Wrong user name or password. 4 more tries…"."""
    answers = {}
    for name, address in ((USER, "203.0.113.31"), ("nobody", "203.0.113.32")):
        page = client(browser, url, address)
        for junk in range(5):
            answer_to(page, f"junk{junk}")
        answers[name] = answer_to(page, name)
        page.context.close()
    assert answers[USER] == answers["nobody"]
    assert answers[USER].startswith("Wrong user name or password. 4 more tries")


def test_a_crowd_spends_a_names_budget_but_the_family_device_still_logs_in(browser, url):
    # Mum's phone has logged in here before (and logged out since).
    phone = client(browser, url, "198.51.100.50")
    log_in_for_good(phone)
    expect(logged_in_library(phone)).to_be_visible()
    phone.get_by_role("button", name="Log out").click()
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()
    phone.reload()  # a later visit: the page opens with the known-device cookie

    for i in range(PER_NAME // PER_NAME_AND_CLIENT):  # each address stays under its own limit
        guesser = client(browser, url, f"203.0.113.{100 + i}")
        for _ in range(PER_NAME_AND_CLIENT):
            assert answer_to(guesser, "Mum").startswith("Wrong user name")
        guesser.context.close()
    newcomer = client(browser, url, "203.0.113.200")  # a fresh address: the name is spent
    assert answer_to(newcomer, USER).startswith("Too many failed attempts")
    newcomer.context.close()

    log_in(phone)
    expect(logged_in_library(phone)).to_be_visible()
    phone.context.close()
