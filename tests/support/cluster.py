"""Several real app replicas sharing one real `redis-server`, behind a real HAProxy.

    with running_cluster(tmp_path, app_args) as cluster:
        page.goto(cluster.url)            # through HAProxy, plain round-robin
        cluster.websocket_server()        # the replica holding this browser's websocket
        cluster.replica("a").kill()       # SIGKILL, as a crash or an OOM kill would

HAProxy runs `deploy/haproxy.cfg` itself with only what a test must change: loopback addresses
instead of Docker's DNS and network (the host's TLS proxy is HOST_PROXY, 127.0.0.3), a stats
socket (to see which replicas HAProxy counts as up) and
`option logasap` (a websocket's log line is written when it opens, not when it closes, so a test
can tell which replica holds it). Every other setting, timeouts and health checks included, is
the production one, so these tests see what an operator's HAProxy would do.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.browser import REPO_ROOT, free_port, run_streamlit, stop, wait_for_http
from tests.support.redis_server import start_redis
from tests.support.redis_server import stop as stop_redis

HAPROXY = "/usr/sbin/haproxy"
HAPROXY_CFG = REPO_ROOT / "deploy" / "haproxy.cfg"
# The address the host's TLS proxy reaches HAProxy from (Docker's gateway in compose.yaml).
HOST_PROXY = "127.0.0.3"

# One log line (haproxy.cfg's log-format, the usual httplog with the path only): `client [date] frontend backend/server timers status bytes ...
# "METHOD PATH PROTO"`. With logasap the byte count is written "+123".
_LOG_LINE = re.compile(
    r" web app/(?P<server>\S+) \S+ (?P<status>-?\d+) \+?\d+ .*\"(?P<method>[A-Z]+) (?P<path>\S+) "
)


@dataclass(frozen=True)
class Served:
    """One request as HAProxy logged it."""

    server: str  # the replica's name, or "<NOSRV>" when HAProxy answered itself
    status: int
    method: str
    path: str


class Replica:
    """One `streamlit run Home.py` process on a fixed port; it can die and come back there."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str] | None = None):
        self.name = name
        self.port = free_port()
        self.args = tuple(args)
        self.env = env
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        self.proc = run_streamlit(REPO_ROOT / "Home.py", self.port, self.args, self.env)

    def wait_until_serving(self) -> None:
        wait_for_http(self.url + "/health", timeout=90, proc=self.proc)

    def start(self) -> None:
        self.launch()
        self.wait_until_serving()

    def kill(self) -> None:
        """SIGKILL the replica and everything it started: no clean shutdown, no goodbye to
        the browsers connected to it."""
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


def haproxy_config(port: int, replicas: Sequence[Replica], stats_socket: Path) -> str:
    """deploy/haproxy.cfg for loopback replicas (see the module's docstring for what differs)."""
    text = HAPROXY_CFG.read_text(encoding="utf-8")
    edits = [
        (r"^(\s*)bind :8080$", rf"\g<1>bind 127.0.0.1:{port}"),
        (
            r"^\s*server-template .*$",
            "\n".join(f"    server {r.name} 127.0.0.1:{r.port}" for r in replicas),
        ),
        (
            r"^(\s*)maxconn (\d+)$",
            rf"\g<1>maxconn \g<2>\n\g<1>stats socket {stats_socket} "
            r"mode 600 level admin",
        ),
        (r"^(\s*)option dontlognull$", r"\g<1>option dontlognull\n\g<1>option logasap"),
        (r"^(\s*acl from_host_proxy src) \S+$", rf"\g<1> {HOST_PROXY}"),
    ]
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
        assert count == 1, f"deploy/haproxy.cfg no longer has a line matching {pattern!r}"
    return text


class Cluster:
    def __init__(self, directory: Path, replicas: Sequence[Replica], redis_url: str):
        self.directory = directory
        self.replicas = list(replicas)
        self.redis_url = redis_url
        self.port = free_port()
        self.stats_socket = directory / "haproxy.sock"
        self.log_path = directory / "haproxy.log"
        self.config_path = directory / "haproxy.cfg"
        self.config_path.write_text(
            haproxy_config(self.port, self.replicas, self.stats_socket), encoding="utf-8"
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def other(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name != name)

    # -- HAProxy ------------------------------------------------------------------------------
    def start_haproxy(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for_state({r.name: "UP" for r in self.replicas})
        wait_for_http(self.url + "/health", proc=self.proc)

    def stop_haproxy(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def admin(self, command: str) -> str:
        """One command on HAProxy's stats socket (its runtime API)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict[str, str]:
        """Replica name → "UP", "DOWN", ... as HAProxy's health checks see it now."""
        lines = self.admin("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "app" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for_state(self, wanted: dict[str, str], timeout: float = 90) -> None:
        """Wait until HAProxy's health checks agree with `wanted` (production intervals: a
        replica goes down after 3 failed checks 5 s apart, comes back after 2 good ones)."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"haproxy exited with {self.proc.returncode}: "
                    f"{self.log_path.read_text(errors='replace')[-2000:]}"
                )
            try:
                states = self.server_states()
            except OSError:  # the socket is not there yet
                states = {}
            if all(states.get(name) == state for name, state in wanted.items()):
                return
            time.sleep(0.2)
        raise TimeoutError(f"HAProxy still sees {states}, not {wanted}")

    def served(self) -> list[Served]:
        """Every request HAProxy has logged so far, oldest first."""
        found = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _LOG_LINE.search(line)
            if match:
                found.append(
                    Served(match["server"], int(match["status"]), match["method"], match["path"])
                )
        return found

    def websockets(self) -> list[Served]:
        return [s for s in self.served() if s.path.split("?")[0].endswith("/_stcore/stream")]

    def opened_websockets(self) -> list[str]:
        """The replica of each websocket HAProxy has opened so far (101), oldest first."""
        return [s.server for s in self.websockets() if s.status == 101]

    def websocket_server(self) -> str:
        """The replica that accepted the newest websocket — the one a browser with a single
        open page is talking to."""
        opened = self.opened_websockets()
        assert opened, "no websocket went through HAProxy yet"
        return opened[-1]

    def wait_for_websocket(self, after: int, timeout: float = 120) -> str:
        """The replica of the first websocket opened after the first `after` ones; waits for
        HAProxy to log it (the browser reconnects on its own schedule)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            opened = self.opened_websockets()
            if len(opened) > after:
                return opened[after]
            time.sleep(0.1)
        raise TimeoutError(
            f"no new websocket through HAProxy within {timeout} s; it logged "
            f"{self.websockets()[-5:]}"
        )

    def set_state(self, name: str, state: str) -> None:
        """`ready`, `drain` (no new requests: they all go to the other replicas) or `maint`."""
        answer = self.admin(f"set server app/{name} state {state}").strip()
        assert answer == "", f"HAProxy refused to set {name} to {state}: {answer}"


@contextmanager
def running_cluster(
    directory: Path,
    app_args: Sequence[str],
    names: Sequence[str] = ("a", "b"),
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """`names` replicas of the app (each given `app_args` plus the shared Redis), one
    redis-server, and HAProxy in front; everything is stopped on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        redis_proc, redis_url = start_redis(directory / "redis")
        stack.callback(stop_redis, redis_proc)
        args = [*app_args, "--redis-url", redis_url]
        replicas = [Replica(name, args, env) for name in names]
        for replica in replicas:  # started side by side: each takes seconds to boot
            stack.callback(replica.stop)
            replica.launch()
        for replica in replicas:
            replica.wait_until_serving()
        cluster = Cluster(directory, replicas, redis_url)
        stack.callback(cluster.stop_haproxy)
        cluster.start_haproxy()
        yield cluster
