"""Small responses leave at once: every connection the server accepts has TCP_NODELAY.

Streamlit 1.67 binds its listening socket as `socket.socket(family)` (protocol 0) and hands
it to uvicorn. asyncio sets TCP_NODELAY only on sockets whose protocol is TCP, so with it
every connection kept Nagle's algorithm: the body of a small response (a poster, /health,
a websocket message after another) waited for the browser's delayed ACK, ~40 ms. uvicorn
runs on uvloop when it can import it (`loop="auto"`; requirements.txt installs it), and
uvloop sets TCP_NODELAY on every connection it accepts.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

import uvloop


def _accepted_nodelay(loop: asyncio.AbstractEventLoop) -> int:
    """TCP_NODELAY of a connection accepted on a listener bound the way Streamlit binds."""

    async def main() -> int:
        listener = socket.socket(socket.AF_INET)  # protocol 0, like Streamlit's
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        accepted: asyncio.Future = asyncio.get_running_loop().create_future()

        async def on_connect(_reader, writer) -> None:
            sock = writer.transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, 30)
        finally:
            writer.close()
            server.close()

    def run() -> int:
        try:
            return loop.run_until_complete(main())
        finally:
            loop.close()

    # A thread of its own: other tests (Playwright's) may leave a loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(run).result()


def test_connections_accepted_on_a_protocol_0_listener_have_nodelay():
    assert _accepted_nodelay(uvloop.new_event_loop()) == 1
