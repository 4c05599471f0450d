"""Helpers for the job-queue tests: real worker processes, uploads as the upload side leaves
them, and waiting on a condition (never a sleep as synchronisation).

    with worker_process(tmp_path / "a.log", *flags) as worker:
        worker.wait_for_line("ready")
        ...
        worker.kill()   # SIGKILL, as a crash or the OOM killer would
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from tests.support.browser import REPO_ROOT

T = TypeVar("T")

# How long a wait may last before the test says what it was waiting for. Not a measure of
# speed: a guard against a hang, far beyond what any of these waits takes on a busy machine.
PATIENCE_SECONDS = 900
POLL_SECONDS = 0.1


def wait_until(condition: Callable[[], T], what: str) -> T:
    """Poll `condition` until it returns something true, and return that."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(POLL_SECONDS)


class WorkerProcess:
    """`python -m homemovies_core worker FLAGS`, its output in a file."""

    def __init__(self, log: Path, args: Sequence[str], wrapper: Sequence[str] = ()) -> None:
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "homemovies_core", "worker", *args],
            cwd=REPO_ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # its ffmpeg children go with it when the test ends
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, text: str) -> int:
        return self.text().count(text)

    def wait_for_line(self, text: str) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None and text not in self.text():
                raise AssertionError(f"the worker exited ({self.proc.returncode}):\n{self.text()}")
            return text in self.text()

        wait_until(seen, f"'{text}' in the worker's output")

    def kill(self) -> None:
        """SIGKILL the worker process alone (its running ffmpeg is orphaned, as in a crash)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:  # anything it started that is still running
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._out.close()


@contextmanager
def worker_process(log: Path, *args: str, wrapper: Sequence[str] = ()) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(log, args, wrapper)
    try:
        yield worker
    finally:
        worker.stop()


def read_only(*folders: Path) -> list[str]:
    """A command prefix that runs a command in its own mount namespace where `folders` are
    read-only bind mounts of themselves (as a `:ro` volume in Docker). Needs root, as the
    test machine and CI run; nothing outside that one process sees the read-only mounts."""
    mounts = " && ".join(f'mount --bind -o ro "{f}" "{f}"' for f in folders)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'{mounts} && exec "$@"', "read-only"]  # fmt: skip


def uploaded(uploads_dir: Path, upload_id: str, content: Path) -> str:
    """Put `content` where the upload side leaves a finished local upload; returns the
    job's `source` (relative to the uploads folder)."""
    partial = uploads_dir / "partial"
    partial.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(content, partial / upload_id)
    return f"partial/{upload_id}"


def movies_in(folder: Path) -> list[str]:
    """The movie folders the library lists in `folder` (hidden staging folders are not)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".hls"))
