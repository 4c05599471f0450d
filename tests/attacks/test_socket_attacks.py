"""Attacks on Streamlit's websocket, `/_stcore/stream`, of the real app (issue 16, findings 1
and 12): frames far bigger than any message of this app, several at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.accounts import local_app
from tests.support.browser import serving_app
from tests.support.process import peak_rss, server_pid
from tests.support.websocket import close_code, open_stream, send_big_frame

MB = 1024 * 1024
SOCKETS = 4


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
