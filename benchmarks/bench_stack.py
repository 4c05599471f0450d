"""The servers a load test runs against, started here: one replica, or two replicas sharing a
`redis-server` behind HAProxy in round robin; and what they cost, read from /proc.

Each replica is `streamlit run Home.py -- --media_dir LIB ...` of this checkout, as an
operator starts it. HAProxy gets the settings of deploy/haproxy.cfg (round robin, no
affinity, `option forwardfor`, the same timeouts, `/health` checks) with fixed local server
addresses instead of Docker's DNS, and without per-request logging (which would cost CPU the
app is not spending).

A checkout of an older commit runs with the packages its own requirements.txt asks for: one
that this checkout requires and that commit does not is hidden from its replicas (an import of
it fails, as in a fresh install of that commit). Otherwise a package that changes the server
by being importable (uvicorn picks uvloop when it can) would be measured in both columns.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# -- what a process costs ----------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` (all its threads) so far."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm", "rb") as f:
        return int(f.read().split()[1]) * PAGE_KB / 1024


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle or waiting on I/O)."""
    with open("/proc/stat", "rb") as f:
        values = [int(v) for v in f.readline().split()[1:8]]
    user, nice, system, idle, iowait, irq, softirq = values
    return (user + nice + system + irq + softirq) / TICKS


def wait_for_quiet(limit_cores: float, longest: float, window: float = 3.0) -> float:
    """Wait (at most `longest` s) until the machine was busy less than `limit_cores` over the
    last `window` s; returns how busy it was then, in cores. Others share this machine."""
    deadline = time.monotonic() + longest
    while True:
        before = machine_busy_seconds()
        time.sleep(window)
        busy = (machine_busy_seconds() - before) / window
        if busy < limit_cores or time.monotonic() >= deadline:
            return busy


# -- the servers -------------------------------------------------------------------------
@dataclass(frozen=True)
class Stack:
    url: str  # what the viewers open
    replicas: tuple[int, ...]  # pids of the app servers
    helpers: tuple[int, ...] = ()  # pids of HAProxy and Redis: measured apart
    label: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{proc.args[0]} exited with {proc.returncode} before {url} "
                f"answered; its output:\n{_tail(log)}"
            )
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s; output:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _stop(proc: subprocess.Popen) -> None:
    """End a process this module started, by its own process group."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(15)


@contextmanager
def _process(
    command: Sequence[str], log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        _stop(proc)


def requirement_names(requirements: Path) -> set[str]:
    """The distribution names a requirements file lists, normalised (PEP 503)."""
    names = set()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if match:
            names.add(re.sub(r"[-_.]+", "-", match[1]).lower())
    return names


def not_required_by(app: Path) -> list[str]:
    """Top-level modules of the packages this checkout requires and `app` does not."""
    ours = ROOT / "requirements.txt"
    theirs = app / "requirements.txt"
    if app.resolve() == ROOT or not theirs.is_file():
        return []
    extra = requirement_names(ours) - requirement_names(theirs)
    modules = {
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(re.sub(r"[-_.]+", "-", d).lower() in extra for d in dists)
    }
    return sorted(m for m in modules if m.isidentifier())


def hiding(modules: Sequence[str], where: Path) -> Path:
    """A folder to put first on PYTHONPATH in which each of `modules` fails to import."""
    for module in modules:
        package = where / module
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(
            f"raise ModuleNotFoundError({module!r} + ' is not in the requirements of the "
            f"commit measured', name={module!r})\n",
            encoding="utf-8",
        )
    return where


@contextmanager
def replica(
    app_args: Sequence[str],
    workdir: Path,
    name: str,
    streamlit_options: Sequence[str] = (),
    app: Path = ROOT,
) -> Iterator[tuple[str, int]]:
    """`streamlit run Home.py [--OPTION VALUE ...] -- APP_ARGS` of the checkout `app` (its
    imports, its .streamlit/config.toml, its requirements) on a free port: (url, pid).
    `streamlit_options` are "section.name=value" config overrides."""
    port = free_port()
    hidden = not_required_by(app)
    path = [str(hiding(hidden, workdir / "hidden"))] if hidden else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(app)])}
    log = workdir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app / "Home.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *[
            part
            for option in streamlit_options
            for part in ("--" + option.split("=", 1)[0], option.split("=", 1)[1])
        ],
        "--",
        *app_args,
    ]
    with _process(command, log, env, cwd=app) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/health", proc, log)
        yield url, proc.pid


@contextmanager
def redis(workdir: Path) -> Iterator[tuple[str, int]]:
    sys.path.insert(0, str(ROOT))
    from tests.support.redis_server import start_redis, stop

    proc, url = start_redis(workdir / "redis")
    try:
        yield url, proc.pid
    finally:
        stop(proc)


def haproxy_config(port: int, backends: Sequence[str]) -> str:
    servers = "\n".join(
        f"    server app{i} {b.removeprefix('http://')} check inter 2s fall 3 rise 2"
        for i, b in enumerate(backends, 1)
    )
    return f"""# Written by benchmarks/bench_stack.py from deploy/haproxy.cfg's settings.
global
    maxconn 4096

defaults
    mode http
    option forwardfor
    retries 3
    option redispatch 1
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout tunnel 12h
    timeout client-fin 30s

frontend web
    bind 127.0.0.1:{port}
    http-request set-header X-Forwarded-Proto http
    default_backend app

backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health
    http-check expect status 200
{servers}
"""


@contextmanager
def balancer(backends: Sequence[str], workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends))
    check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"HAProxy refused the config: {check.stdout}{check.stderr}")
    with _process([HAPROXY, "-db", "-f", str(config)], workdir / "haproxy.log") as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/health", proc, workdir / "haproxy.log")
        yield url, proc.pid


@contextmanager
def stack(
    replicas: int,
    app_args: Sequence[str],
    workdir: Path,
    streamlit_options: Sequence[str] = (),
    app: Path = ROOT,
) -> Iterator[Stack]:
    """One replica on its own (its in-process cache), or `replicas` sharing one Redis behind
    HAProxy."""
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack_:
        if replicas == 1:
            url, pid = stack_.enter_context(
                replica(app_args, workdir, "replica1", streamlit_options, app)
            )
            yield Stack(url, (pid,), (), "1 replica")
            return
        redis_url, redis_pid = stack_.enter_context(redis(workdir))
        started = [
            stack_.enter_context(
                replica(
                    [*app_args, "--redis_url", redis_url, "--redis_plaintext_ok"],
                    workdir,
                    f"replica{i}",
                    streamlit_options,
                    app,
                )
            )
            for i in range(1, replicas + 1)
        ]
        url, proxy_pid = stack_.enter_context(balancer([u for u, _ in started], workdir))
        yield Stack(
            url,
            tuple(p for _, p in started),
            (proxy_pid, redis_pid),
            f"{replicas} replicas + HAProxy + Redis",
        )


@contextmanager
def checkout(commit: str, where: Path) -> Iterator[Path]:
    """`commit` of this repository as a git worktree at `where` (with this checkout's
    node_modules for hls.js): what is measured stays put while others edit the working tree."""

    def remove() -> None:
        if where.exists():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
                check=False,
                capture_output=True,
            )
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)

    remove()
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(where), commit],
        check=True,
    )
    try:
        (where / "node_modules").symlink_to(ROOT / "node_modules")
        yield where
    finally:
        remove()


def make_bench_library(root: Path, extra_videos: int) -> Path:
    """tests.support.media.make_library, plus a folder of `extra_videos` clips with posters (a family
    folder is dozens of videos, not three)."""
    sys.path.insert(0, str(ROOT))
    from tests.support.media import make_library

    make_library(root)
    if extra_videos:
        source = root / "Summer 2023 #1"
        folder = root / "Birthdays"
        folder.mkdir()
        for i in range(extra_videos):
            shutil.copyfile(source / "Beach day.mp4", folder / f"Birthday {i + 1:02d}.mp4")
            shutil.copyfile(source / "Beach day.jpg", folder / f"Birthday {i + 1:02d}.jpg")
    return root
