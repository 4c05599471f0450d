"""What /health reports, kept fresh by a background thread so the route never waits.

Pinging Redis inside the route blocked the event loop for up to the Redis timeout (2 s): a
few unauthenticated requests a second while Redis hung froze every session and every video.
Now one thread per cache pings every `interval` seconds, whatever the request rate, and the
route only reads the last answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 5.0
# A probe still running after this long counts as "unreachable", whatever the last answer was.
STALE_SECONDS = 15.0


@dataclass(frozen=True)
class Status:
    reachable: bool
    checked_at: float  # monotonic seconds


class HealthMonitor:
    """Runs `probe` (True when the peer answers) in its own daemon thread, forever."""

    def __init__(
        self,
        probe: Callable[[], bool],
        *,
        interval: float = INTERVAL_SECONDS,
        stale_after: float = STALE_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._interval = interval
        self._stale_after = stale_after
        self._timer = timer
        self._lock = threading.Lock()
        self._latest: Status | None = None
        self._probing_since: float | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._first = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="health-probe", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait_first(self, timeout: float | None = None) -> bool:
        """Block until the first probe has answered (start-up, tests); False on timeout."""
        return self._first.wait(timeout)

    def latest(self) -> Status | None:
        """The last answer, None before the first; never waits for a probe."""
        with self._lock:
            latest, since = self._latest, self._probing_since
        if since is not None and self._timer() - since > self._stale_after:
            return Status(reachable=False, checked_at=since)  # hung longer than any timeout
        return latest

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                self._probing_since = self._timer()
            try:
                ok = bool(self._probe())
            except Exception as exc:  # a probe that fails is an answer: "unreachable"
                log.debug("Health probe failed: %s", type(exc).__name__)
                ok = False
            with self._lock:
                self._latest = Status(reachable=ok, checked_at=self._timer())
                self._probing_since = None
            self._first.set()
            self._stop.wait(self._interval)


# By id: each monitor holds its cache (through `cache.ping`), so an id is never reused here.
_monitors: dict[int, HealthMonitor] = {}
_monitors_lock = threading.Lock()


def monitor_for(cache) -> HealthMonitor:
    """The process's one running monitor of `cache` (started on first use)."""
    with _monitors_lock:
        monitor = _monitors.get(id(cache))
        if monitor is None:
            monitor = _monitors[id(cache)] = HealthMonitor(cache.ping)
    monitor.start()
    return monitor
