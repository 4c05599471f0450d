"""`/video` throughput for a 200 MB file, whole and in 1 MB Range reads, against the disk.

Run: .venv/bin/python benchmarks/bench_video_route.py [--mb 200] [--runs 3]
Starts the real app (`streamlit run Home.py`) on a local library holding one large file,
signs a playback URL with the same key, and reads it over loopback with a plain keep-alive
`http.client` connection (httpx tops out near 300 MB/s here and would measure itself).
Two references in the same run: the disk itself (O_DIRECT, what a cold file costs) and
the page cache (a file read moments ago). Target: >= 25 % of the disk-read rate.
Rates are the bytes actually received (or read) per second; an answer shorter than asked
stops the run with one sentence and exit status 1.
"""

from __future__ import annotations

import argparse
import http.client
import mmap
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homemovies_core import signing  # noqa: E402
from homemovies_core.storage.local import LocalStorage  # noqa: E402
from tests.support.browser import free_port, run_streamlit, stop, wait_for_http  # noqa: E402

CHUNK = 1024 * 1024
KEY = secrets.token_hex(32)


def disk_read(path: Path, direct: bool) -> float:
    """Read the whole file in 1 MB blocks; O_DIRECT bypasses the page cache (the disk).
    Returns the rate in MB/s of the bytes actually read."""
    buffer = mmap.mmap(-1, CHUNK)  # page-aligned, as O_DIRECT requires
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
    total = 0
    start = time.perf_counter()
    try:
        while n := os.readv(fd, [buffer]):
            total += n
    finally:
        os.close(fd)
    return rate(total, time.perf_counter() - start)


def rate(received: int, seconds: float) -> float:
    return received / 1e6 / seconds


def fetch(
    conn: http.client.HTTPConnection,
    path: str,
    buffer: memoryview,
    headers: dict[str, str] | None = None,
) -> tuple[int, int]:
    """(status, bytes of body received)."""
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    total = 0
    while n := response.readinto(buffer):
        total += n
    return response.status, total


def http_whole(conn: http.client.HTTPConnection, path: str, size: int) -> float:
    """The whole file in one GET; MB/s of the bytes received. Fails on a short answer."""
    buffer = memoryview(bytearray(CHUNK))
    start = time.perf_counter()
    status, received = fetch(conn, path, buffer)
    seconds = time.perf_counter() - start
    if status != 200:
        raise SystemExit(f"The whole-file read answered {status}, not 200.")
    if received != size:
        raise SystemExit(f"The whole-file read was short: {received} of {size} bytes.")
    return rate(received, seconds)


def http_ranges(conn: http.client.HTTPConnection, path: str, size: int) -> float:
    """The file in 1 MB Range reads; MB/s of the bytes received. Fails on a short answer."""
    buffer = memoryview(bytearray(CHUNK))
    received = 0
    start = time.perf_counter()
    for offset in range(0, size, CHUNK):
        last = min(size, offset + CHUNK) - 1
        status, got = fetch(conn, path, buffer, {"Range": f"bytes={offset}-{last}"})
        if status != 206:
            raise SystemExit(f"The Range read at {offset} answered {status}, not 206.")
        if got != last - offset + 1:
            raise SystemExit(
                f"The Range read at {offset} was short: {got} of {last - offset + 1} bytes."
            )
        received += got
    return rate(received, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "Big").mkdir()
        path = root / "Big" / "Long film #1.mp4"
        with open(path, "wb") as f:
            for _ in range(args.mb):
                f.write(os.urandom(CHUNK))
        size = path.stat().st_size
        storage = LocalStorage(root, signing.derive_key(KEY, "video-url"))
        grant = storage.grant("Big/Long film #1.mp4", prefix=False, expires_at=time.time() + 3600)
        port = free_port()
        proc = run_streamlit(
            ROOT / "Home.py",
            port,
            ["--media_dir", tmp, "--cookie_key", KEY, "--username", "u", "--password", "p"],
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(base + "/health", 60, proc)
            rows = {
                "disk (O_DIRECT)": [],
                "page cache": [],
                "/video whole": [],
                "/video 1 MB ranges": [],
            }
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(args.runs):
                rows["disk (O_DIRECT)"].append(disk_read(path, True))
                rows["page cache"].append(disk_read(path, False))
                rows["/video whole"].append(http_whole(conn, grant.url, size))
                rows["/video 1 MB ranges"].append(http_ranges(conn, grant.url, size))
            conn.close()
        finally:
            stop(proc)
    mb = size / 1e6
    disk = statistics.median(rows["disk (O_DIRECT)"])
    cached = statistics.median(rows["page cache"])
    print(f"/video throughput, {mb:.0f} MB file, bytes received per second, median of {args.runs}")
    print(f"{'read':<20}{'MB/s':>8}{'vs disk':>9}{'vs cache':>10}  target (vs disk)")
    for name, rates in rows.items():
        speed = statistics.median(rates)
        target = (
            f"  >= 0.25 ({'met' if speed / disk >= 0.25 else 'MISSED'})"
            if name.startswith("/video")
            else ""
        )
        print(f"{name:<20}{speed:>8.0f}{speed / disk:>9.2f}{speed / cached:>10.2f}{target}")


if __name__ == "__main__":
    main()
