"""Helpers for end-to-end tests in a real headless Chromium against a real `streamlit run`.

Playwright's own browser download does not work here, so tests drive Debian's Chromium:
its headless shell (`chromium-headless-shell`, the same engine without the browser's own
UI: a third less CPU in a browser-heavy run, which matters on two cores), while the
benchmarks measure the full browser people run, /usr/bin/chromium.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # the benchmarks'
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"  # the test suite's
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in a container
    "--disable-gpu",
    "--disable-background-networking",  # no update checks etc.: tests assert on every request
    "--autoplay-policy=no-user-gesture-required",  # videos start without a click
]


@contextmanager
def chromium(executable: str = CHROMIUM) -> Iterator[Browser]:
    """A headless system Chromium, closed on exit."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port that was free a moment ago (good enough for tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers 200; fail early if `proc` (the server) has died."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last_error = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s (last error: {last_error})")


def run_streamlit(
    script: Path,
    port: int,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    output: IO | None = None,
    niceness: int = 0,
) -> subprocess.Popen:
    """Start `streamlit run SCRIPT` on 127.0.0.1:PORT; stop it with `stop()`.

    The repository root goes on PYTHONPATH so scripts outside it (tests/apps/)
    can import homemovies_core. Output goes to `output` (stdout and stderr both), else to
    the test's stdout/stderr, where pytest shows it if a test fails.
    """
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    command = [
        *(["nice", "-n", str(niceness)] if niceness else []),
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--", *args,
    ]  # fmt: skip
    # A new session lets stop() end the server and anything it started, by group.
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=full_env,
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a server started by `run_streamlit`: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def video_time(page: Page) -> float:
    """The first video's currentTime; the locator reaches into the component's open shadow root."""
    return page.locator("video").first.evaluate("v => v.currentTime")


# Finds the first <video> in the page, looking inside open shadow roots, where
# st.components.v2 mounts the player.
_FIND_VIDEO_JS = """
const find = (root) => {
  const direct = root.querySelector("video");
  if (direct) return direct;
  for (const el of root.querySelectorAll("*")) {
    const inside = el.shadowRoot && find(el.shadowRoot);
    if (inside) return inside;
  }
  return null;
};
"""


def wait_for_video(page: Page, condition: str, timeout: float = 30.0) -> None:
    """Wait until the JS expression `condition` about the video `v` is true.

    `page.wait_for_function` cannot use locators, so the video is looked up again
    on every poll: a handle taken once would go stale if the player remounts
    (a new src replaces the <video> element).
    """
    page.wait_for_function(
        f"() => {{ {_FIND_VIDEO_JS} const v = find(document); return v !== null && ({condition}); }}",
        timeout=timeout * 1000,
        polling=100,
    )


@contextmanager
def serving_app(
    args: Sequence[str], env: dict[str, str] | None = None, niceness: int = 0
) -> Iterator[str]:
    """The real app (`streamlit run Home.py -- ARGS`) on a free port; yields its base URL.
    `niceness` runs it at a lower CPU priority (nice(1)), as the busy-machine tests do."""
    port = free_port()
    proc = run_streamlit(REPO_ROOT / "Home.py", port, args, env, niceness=niceness)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", timeout=60, proc=proc)
        yield url
    finally:
        stop(proc)
