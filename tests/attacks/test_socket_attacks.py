"""Attacks on Streamlit's websocket, `/_stcore/stream`, of the real app (issue 16, findings 1
and 12): frames far bigger than any message of this app, several at once; sockets opened and
left silent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.accounts import local_app
from tests.support.browser import serving_app
from tests.support.flows import log_in_for_good, logged_in_library, open_folder
from tests.support.process import peak_rss, server_pid
from tests.support.websocket import close_code, open_stream, send_big_frame

MB = 1024 * 1024
SOCKETS = 4
IDLE_MINUTES = 0.05  # 3 s instead of 10 minutes


@pytest.fixture(scope="module")
def app(library_dir):
    with serving_app(local_app(library_dir)) as url:
        yield url


def test_big_websocket_frames_are_refused_before_they_are_read(app):
    """Finding 1: a stranger's 150 MB message raised the server's peak memory by ~300 MB
    before it was refused; a few sockets at once killed the process. Now a frame bigger than
    this app's largest message is refused from its header, whatever the sockets do."""
    pid = server_pid(app)
    open_stream(app).close()  # the route's first-use costs are not what is measured
    before = peak_rss(pid)
    sockets = [open_stream(app) for _ in range(SOCKETS)]
    with ThreadPoolExecutor(SOCKETS) as pool:
        list(pool.map(lambda s: send_big_frame(s, 48 * MB), sockets))
    codes = [close_code(s) for s in sockets]
    for sock in sockets:
        sock.close()
    grown = peak_rss(pid) - before
    assert codes == [1009] * SOCKETS  # "message too big"
    assert grown < 16 * MB, f"peak memory grew by {grown / MB:.0f} MB"
    assert httpx.get(app + "/health").status_code == 200


@pytest.fixture(scope="module")
def impatient_app(library_dir):
    with serving_app(local_app(library_dir, "--idle_login_minutes", str(IDLE_MINUTES))) as url:
        yield url


def test_a_silent_strangers_socket_is_closed_but_a_logged_in_page_keeps_its_own(
    browser, impatient_app
):
    """Finding 12: a stranger's websocket, answering Streamlit's pings and nothing else, held
    a session (and one of HAProxy's connections) for as long as it liked."""
    page = browser.new_context().new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(impatient_app)
    log_in_for_good(page)
    expect(logged_in_library(page)).to_be_visible()
    # The socket the logged-in page is on: with a 3-second limit, a loaded machine may close
    # the first one while the login form is being filled in (the page reconnects by itself).
    open_now = [s for s in sockets if s.url.endswith("/_stcore/stream") and not s.is_closed()]
    assert len(open_now) == 1
    family_socket = open_now[0]

    stranger = open_stream(impatient_app)
    # "Going away", after a silence (it answers every ping, as a browser does).
    assert close_code(stranger, give_up_after=IDLE_MINUTES * 60 * 40) == 1001
    stranger.close()
    # The family's page has been silent at least as long: logged in, its socket stays.
    assert not family_socket.is_closed()
    open_folder(page, "Summer 2023 #1")
    assert not family_socket.is_closed()
    page.context.close()
