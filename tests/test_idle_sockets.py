"""Websockets of pages nobody is logged in on close after a silence (web/idle_sockets.py;
issue 16, finding 12): the middleware in front of a real uvicorn, as `streamlit run` serves
the app, with a short idle time, and a real websocket client."""

from __future__ import annotations

import threading

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from homemovies_core.web.idle_sockets import CLOSE_CODE, HEADER, IdleSockets, SocketRegistry
from tests.support.browser import free_port

IDLE = 0.5


@pytest.fixture
def server():
    """A stand-in for Streamlit's stream: says the socket's id, echoes, and marks the socket
    logged in when asked to (as a script run does)."""
    registry = SocketRegistry()
    released: list[str] = []

    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        socket_id = websocket.headers.get(HEADER)
        registry.note(socket_id, logged_in="login" in websocket.query_params)
        await websocket.send_text(socket_id)
        try:
            while True:
                await websocket.send_text("echo " + await websocket.receive_text())
        except WebSocketDisconnect:
            released.append(socket_id)  # the app's session ends with it

    app = Starlette(
        routes=[WebSocketRoute("/_stcore/stream", stream)],
        middleware=[Middleware(IdleSockets, registry=registry, idle_seconds=IDLE)],
    )
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        thread.join(0.05)
    yield f"ws://127.0.0.1:{port}/_stcore/stream", registry, released
    running.should_exit = True
    thread.join(10)


def test_a_silent_logged_out_socket_is_closed_and_its_session_released(server):
    url, registry, released = server
    with connect(url) as stranger:
        socket_id = stranger.recv()
        with pytest.raises(ConnectionClosed) as closed:
            stranger.recv()  # nothing is sent: the server ends it
    assert closed.value.rcvd.code == CLOSE_CODE
    assert released == [socket_id] and not registry.logged_in(socket_id)


def test_a_logged_in_socket_is_never_closed_for_silence(server):
    url, _registry, _released = server
    with connect(url + "?login") as family, connect(url) as stranger:
        family.recv(), stranger.recv()
        with pytest.raises(ConnectionClosed):
            stranger.recv()  # a whole idle time has passed for both ...
        family.send("still here")
        assert family.recv() == "echo still here"  # ... and the family's socket is open


def test_a_client_cannot_choose_its_socket_id(server):
    url, _registry, _released = server
    with connect(url, additional_headers={"X-HM-Socket": "someone-elses"}) as client:
        assert client.recv() not in ("", "someone-elses")
