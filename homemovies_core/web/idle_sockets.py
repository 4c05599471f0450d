"""Streamlit's websocket of a page nobody is logged in on is closed after IDLE_SECONDS of
silence from the browser.

A stranger can open `/_stcore/stream` and keep it open for ever: Streamlit pings, the client
answers, and a session is held per socket. A logged-out page sends nothing unless someone
acts on it (a click, a typed name, the device-login panel polling for its phone), so one
that has said nothing for ten minutes is closed; a real browser reconnects by itself when
someone comes back to it. A page someone is logged in on is never closed for silence: a film
is two silent hours.

Who is logged in on a socket is known only to the script runs it carries, so each socket gets
an id in a request header of its own (`X-HM-Socket`, whatever the client sent under that name
is dropped), which a run reads from `st.context.headers` and reports to `REGISTRY` (ui/auth).
The registry is this process's: a socket lives in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-hm-socket"
IDLE_SECONDS = 600.0  # the default of --idle_login_minutes
STREAM_PATH = "/_stcore/stream"
CLOSE_CODE = 1001  # "going away": the browser's Streamlit reconnects when it is used again


class SocketRegistry:
    """Which of this process's websockets have someone logged in (thread-safe: script runs
    report from their threads, the event loop asks)."""

    def __init__(self) -> None:
        self._logged_in: set[str] = set()
        self._lock = threading.Lock()

    def note(self, socket_id: str | None, *, logged_in: bool) -> None:
        if not socket_id:
            return
        with self._lock:
            if logged_in:
                self._logged_in.add(socket_id)
            else:
                self._logged_in.discard(socket_id)

    def logged_in(self, socket_id: str) -> bool:
        with self._lock:
            return socket_id in self._logged_in

    def forget(self, socket_id: str) -> None:
        self.note(socket_id, logged_in=False)


REGISTRY = SocketRegistry()


class IdleSockets:
    def __init__(
        self,
        app: ASGIApp,
        *,
        registry: SocketRegistry = REGISTRY,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.app, self.registry, self.idle = app, registry, idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not scope.get("path", "").endswith(STREAM_PATH):
            await self.app(scope, receive, send)
            return
        socket_id = secrets.token_urlsafe(16)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != HEADER.encode()]
        scope = {**scope, "headers": [*headers, (HEADER.encode(), socket_id.encode())]}
        loop = asyncio.get_running_loop()
        heard = [loop.time()]

        async def receive_noting() -> Message:
            message = await receive()
            heard[0] = loop.time()
            return message

        watchdog = asyncio.create_task(self._close_when_idle(socket_id, heard, send))
        try:
            await self.app(scope, receive_noting, send)
        finally:
            watchdog.cancel()
            self.registry.forget(socket_id)

    async def _close_when_idle(self, socket_id: str, heard: list[float], send: Send) -> None:
        loop = asyncio.get_running_loop()
        while True:
            silent = loop.time() - heard[0]
            if self.registry.logged_in(socket_id):
                heard[0], silent = loop.time(), 0.0  # silence counts from the logout
            if silent >= self.idle:
                # The app's next receive() is the disconnect; the browser gets a close frame.
                with contextlib.suppress(OSError):  # gone already (uvicorn's ClientDisconnected)
                    await send({"type": "websocket.close", "code": CLOSE_CODE})
                return
            await asyncio.sleep(min(self.idle - silent, self.idle / 10))
