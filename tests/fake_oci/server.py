"""Run the fake OCI services on a loopback port in a daemon thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from .models import FakeOCIModel
from .responses import FakeOCIResponses, Request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "FakeOCI/1.0"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        arrived = time.monotonic()  # the request line and headers are in; the body is not
        body = self._read_body()
        if len(body) < int(self.headers.get("Content-Length") or 0):
            # The client went away mid-body (a closed tab): like OCI, nothing is stored.
            self.close_connection = True
            return
        request = Request(self.command, self.path, self.headers, body, arrived)
        host = self.headers.get("Host")
        base_url = f"http://{host}" if host else self.server.endpoint
        response = self.server.app.handle(request, base_url)
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(response.content_length()))
            self.end_headers()
            if self.command != "HEAD" and response.status not in (204, 304):
                for chunk in response.chunks():
                    self.wfile.write(chunk)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its read timeout fired during an injected hang).
            self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = _serve

    def log_message(self, fmt: str, *args: object) -> None:  # quiet: tests read the model's log
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: FakeOCIResponses) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.endpoint = f"http://{address[0]}:{self.server_address[1]}"
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class FakeOCIServer:
    """A running fake; ``endpoint`` is what to pass as the SDK's ``service_endpoint``."""

    def __init__(self, model: FakeOCIModel, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = model
        self.responses = FakeOCIResponses(model)
        self._httpd = _Server((host, port), self.responses)
        self.endpoint = self._httpd.endpoint
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-oci",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.responses.stop_event.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_fake_oci(
    model: FakeOCIModel | None = None, host: str = "127.0.0.1", port: int = 0
) -> FakeOCIServer:
    """Start serving ``model`` (a fresh one if omitted) and return the running server."""
    return FakeOCIServer(model or FakeOCIModel(), host, port)
