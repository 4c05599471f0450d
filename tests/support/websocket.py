"""A raw websocket client for attack tests: the handshake of Streamlit's `/_stcore/stream`, then
frames written by hand, so a test can declare a frame of any size and send only part of it."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time
from urllib.parse import urlsplit

STREAM = "/_stcore/stream"


def open_stream(url: str, *, source: str | None = None, path: str = STREAM) -> socket.socket:
    """A socket that has completed the websocket handshake with the app at `url` (101);
    `source` is the local address to connect from."""
    parts = urlsplit(url)
    sock = socket.create_connection(
        (parts.hostname, parts.port), source_address=(source, 0) if source else None
    )
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: streamlit\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"the server hung up during the handshake: {head!r}")
        head += chunk
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        raise ConnectionError(f"no websocket: {status!r}")
    return sock


def frame_header(length: int, *, opcode: int = 0x2) -> bytes:
    """A final, masked client frame's header declaring `length` bytes of payload (the mask is
    zero, so the payload goes as it is)."""
    if length < 126:
        size = bytes([0x80 | length])
    elif length < 1 << 16:
        size = bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        size = bytes([0x80 | 127]) + struct.pack("!Q", length)
    return bytes([0x80 | opcode]) + size + b"\x00\x00\x00\x00"


def send_big_frame(sock: socket.socket, length: int) -> int:
    """Declare one binary frame of `length` bytes and send its payload until the server hangs
    up or all of it is sent; returns how many payload bytes went out."""
    piece = bytes(256 * 1024)
    sent = 0
    try:
        sock.sendall(frame_header(length))
        while sent < length:
            sock.sendall(piece[: min(len(piece), length - sent)])
            sent += min(len(piece), length - sent)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def close_code(sock: socket.socket, *, give_up_after: float | None = None) -> int | None:
    """The status code of the close frame the server sends next (None if it just hung up).
    Meanwhile every ping is answered, as a browser would: a client that stays silent must
    not be told apart by unanswered pings. `give_up_after` seconds (a guard, so that a server
    that never closes fails a test instead of hanging it) raises TimeoutError."""
    deadline = None if give_up_after is None else time.monotonic() + give_up_after
    data = b""
    try:
        while True:
            if deadline is not None:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            frames, data = _frames(data)
            for opcode, payload in frames:
                if opcode == 0x8:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if opcode == 0x9:  # ping: pong with the same payload
                    sock.sendall(frame_header(len(payload), opcode=0xA) + payload)
    except ConnectionResetError:
        pass
    return None


def _frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The whole (unmasked, server) frames at the start of `data`, and what is left over."""
    frames = []
    while len(data) >= 2:
        size, start = data[1] & 0x7F, 2
        if size == 126:
            size, start = (struct.unpack("!H", data[2:4])[0], 4) if len(data) >= 4 else (0, -1)
        elif size == 127:
            size, start = (struct.unpack("!Q", data[2:10])[0], 10) if len(data) >= 10 else (0, -1)
        if start < 0 or start + size > len(data):
            break
        frames.append((data[0] & 0x0F, data[start : start + size]))
        data = data[start + size :]
    return frames, data
