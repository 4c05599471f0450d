"""Running an ffmpeg command line and following its progress (encodes, posters, previews).

Progress comes from `-progress pipe:1` on stdout; stderr is drained in a thread (so a
chatty ffmpeg never blocks on a full pipe) and its last lines make the error sentence.
"""

from __future__ import annotations

import collections
import subprocess
import threading
from collections.abc import Callable

from .ffmpeg import FfmpegError, to_float

__all__ = ["run_with_progress"]


def run_with_progress(
    args: list[str],
    duration: float,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Run an ffmpeg command line (``args[0]`` is the executable) and report progress.

    ``on_progress`` gets a non-decreasing fraction in 0..1, ending with 1.0 on
    success. Raises FfmpegError with ffmpeg's last stderr lines on failure.
    """
    if not args:
        raise ValueError("args must start with the ffmpeg executable")
    # Progress every 0.25 s instead of ffmpeg's default 0.5 s, so short jobs report too.
    command = [args[0], "-progress", "pipe:1", "-nostats", "-stats_period", "0.25", "-nostdin",
               *args[1:]]  # fmt: skip
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise FfmpegError(f"ffmpeg could not be started ({args[0]}): {exc}") from exc
    tail, reader = _drain(process.stderr)
    try:
        best = _follow_progress(process.stdout, duration, on_progress)
    except BaseException:
        # The caller gave up (a cancelled job, a stopping worker): ffmpeg must not run on.
        process.kill()
        process.wait()
        raise
    returncode = process.wait()
    reader.join(timeout=5)
    if returncode != 0:
        detail = " | ".join(tail) or f"exit status {returncode}"
        raise FfmpegError(f"ffmpeg failed: {detail}")
    if on_progress and best < 1.0:
        on_progress(1.0)


def _drain(stderr) -> tuple[collections.deque[str], threading.Thread]:
    """Keep the last lines of stderr, read on a thread so a chatty ffmpeg never blocks on
    a full pipe while we read progress from stdout."""
    tail: collections.deque[str] = collections.deque(maxlen=8)

    def drain() -> None:
        for line in stderr:
            if line.strip():
                tail.append(line.rstrip())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return tail, reader


def _follow_progress(stdout, duration: float, on_progress: Callable[[float], None] | None) -> float:
    """Report ffmpeg's `-progress` lines as fractions of `duration`; returns the last one."""
    best = 0.0
    for line in stdout:
        key, _, value = line.strip().partition("=")
        # out_time_ms is, despite its name, also microseconds in ffmpeg.
        if key in ("out_time_us", "out_time_ms") and duration > 0:
            micros = to_float(value)
            fraction = min(max(micros / (duration * 1_000_000), 0.0), 1.0)
            if fraction > best:
                best = fraction
                if on_progress:
                    on_progress(fraction)
    return best
