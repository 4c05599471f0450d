"""The server process behind a URL, and how much memory it has needed at most."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit


def server_pid(url: str) -> int:
    """The `streamlit run` process serving `url` (found by its --server.port argument)."""
    port = str(urlsplit(url).port)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            args = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"streamlit" in b" ".join(args)
            and b"--server.port" in args
            and args[args.index(b"--server.port") + 1] == port.encode()
        ):
            return int(entry)
    raise LookupError(f"no streamlit process on port {port}")


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmHWM")
