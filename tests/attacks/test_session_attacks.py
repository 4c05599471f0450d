"""Logins that must end (issue 16, finding 9): a new password ends every session of the old
one, and a person removed from the users file loses their progress and poster tokens too;
the real app restarted on the same Redis, as an operator does after `users add` or `users
remove`.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from playwright.sync_api import expect

from homemovies_core import services, settings
from homemovies_core.web import poster_routes
from tests.support.accounts import COOKIE_KEY, users_file
from tests.support.browser import REPO_ROOT, serving_app
from tests.support.flows import log_in_for_good, logged_in_library
from tests.support.redis_server import start_redis, stop

POSTER = "Summer 2023 #1/Beach day.jpg"
BEACH = "Summer 2023 #1/Beach day.mp4"


@pytest.fixture
def family(tmp_path, library_dir):
    """The app's flags for a users file with mum and dad, on a Redis of its own."""
    users = users_file(tmp_path / "users.yaml", "mum", "dad")
    proc, redis_url = start_redis(tmp_path / "redis")
    try:
        yield users, [
            "--media_dir", str(library_dir), "--users_file", str(users),
            "--cookie_key", COOKIE_KEY, "--redis_url", redis_url,
        ]  # fmt: skip
    finally:
        stop(proc)


def users_command(*args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "homemovies_core", "users", *args],
        input=stdin, capture_output=True, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def the_apps_services(args: list[str]) -> services.Services:
    """What the running app builds from the same flags: its keys, its users."""
    return services.build(settings.load(args, {}, []), announce=lambda _m: None)


def test_a_new_password_ends_every_session_of_the_old_one(browser, family):
    users, args = family
    pages = {}
    with serving_app(args) as url:
        for name in ("mum", "dad"):
            pages[name] = browser.new_context().new_page()
            pages[name].goto(url)
            log_in_for_good(pages[name], user=name)
            expect(logged_in_library(pages[name])).to_be_visible()
    users_command("add", "dad", "--users_file", str(users), stdin="a brand new password\n")
    with serving_app(args) as url:  # cookies are per host, not port: both come back
        for name in ("mum", "dad"):
            pages[name].goto(url)
        expect(pages["dad"].get_by_role("button", name="Log in")).to_be_visible()
        expect(logged_in_library(pages["mum"])).to_be_visible()  # nobody else is logged out
    for page in pages.values():
        page.context.close()


def test_a_removed_persons_progress_and_poster_tokens_stop_working(family):
    users, args = family
    before = the_apps_services(args)
    poster = poster_routes.poster_url(before, POSTER, user="dad")
    report = {"token": before.progress.token("dad", BEACH), "position": 12.0, "duration": 40.0}
    with serving_app(args) as url:
        assert httpx.get(url + poster).status_code == 200
        assert httpx.post(url + "/api/progress", json=report).status_code == 204
    users_command("remove", "dad", "--users_file", str(users))
    with serving_app(args) as url:
        assert httpx.get(url + poster).status_code == 403
        assert httpx.post(url + "/api/progress", json=report).status_code == 403
