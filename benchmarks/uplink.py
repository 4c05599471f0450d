"""A household's uplink, for the upload benchmark: a TCP proxy in front of a server that
passes what clients send at a set rate, and what the server answers at full speed.

On loopback, a browser and a command-line tool are limited by the CPU they share with the
server on this machine, not by a network; a family uploads over its home line. One pacer is
shared by every connection through the proxy, as one line is: three parallel parts share
the rate, and a gap in one (a CORS preflight, a part's answer) is bandwidth the others take.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

CHUNK = 64 * 1024


SLACK = 0.01  # seconds of the line a late wake-up may catch up on (a token bucket's depth)


class _Pacer:
    """Hands out the line's time: n bytes take n / rate seconds, one sender after another."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = bytes_per_second
        self.free_at = 0.0

    async def send(self, size: int) -> None:
        now = time.monotonic()
        self.free_at = max(self.free_at, now - SLACK) + size / self.rate
        if self.free_at > now:
            await asyncio.sleep(self.free_at - now)


async def _pump(reader, writer, pacer: _Pacer | None) -> None:
    try:
        while chunk := await reader.read(CHUNK):
            if pacer is not None:
                await pacer.send(len(chunk))
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _serve(host: str, port: int, pacer: _Pacer, ready: list, stopping: threading.Event) -> None:
    async def connect(client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        with contextlib.suppress(asyncio.CancelledError):  # the proxy is closing
            await asyncio.gather(
                _pump(client_reader, server_writer, pacer),  # the uplink: paced
                _pump(server_reader, client_writer, None),  # the answers: at full speed
            )

    async def main() -> None:
        server = await asyncio.start_server(connect, "127.0.0.1", 0)
        ready.append(server.sockets[0].getsockname()[1])
        while not stopping.is_set():
            await asyncio.sleep(0.1)
        server.close()

    asyncio.run(main())


@contextlib.contextmanager
def uplink(base_url: str, mbit: float) -> Iterator[str]:
    """`base_url` (http://host:port) behind a line of `mbit` Mbit/s upstream; yields the URL
    to use instead. `mbit` 0: no line, `base_url` itself."""
    if not mbit:
        yield base_url
        return
    target = urlsplit(base_url)
    ready: list[int] = []
    stopping = threading.Event()
    thread = threading.Thread(
        target=_serve,
        args=(target.hostname, target.port, _Pacer(mbit * 1e6 / 8), ready, stopping),
        daemon=True,
    )
    thread.start()
    while not ready and thread.is_alive():
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{ready[0]}"
    finally:
        stopping.set()
        thread.join(5)
