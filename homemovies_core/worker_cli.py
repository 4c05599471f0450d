"""`python -m homemovies_core worker`: turn uploaded videos into movies, on any machine.

    python -m homemovies_core worker --redis_url rediss://… (--media_dir DIR | --bucket NAME …)
        [--uploads_dir DIR] [--processes 1] [--threads 1] [--metrics_port 9109]

The flags (and HM_* variables, secrets.toml, the Vault) are the app's own: a worker needs
the app's Redis (the job queue) and its library (a local folder it can reach, e.g. a shared
volume, or the bucket). Several workers may run, here or on other machines; a job whose
worker dies is finished by another (jobs/queue.py). One process with one thread suits a
machine of a few cores: ffmpeg uses every core for one encode. SIGTERM stops it: the job
that was running is taken over by another worker.

`--metrics_port` serves the worker's figures for Prometheus (prometheus-client's own HTTP
server: the queue's gauges and how long its jobs took, docs/operations.md). It has no
login, so it listens on 127.0.0.1 unless `--metrics_host` says otherwise (e.g. 0.0.0.0 on
a private network that only Prometheus shares; the figures are counts, never names). One
process serves one port, so with a metrics port a worker runs one process: `--threads N`
runs N jobs at once in it, and loses nothing to processes, since ffmpeg and hashing do the
work outside Python's lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

from . import settings as settings_mod
from .commands import run_command
from .configuration import load_parsed_settings
from .redis_cache import make_cache, shared_only
from .services import build_storage, configure_logs

PROG = "python -m homemovies_core worker"
NEEDS_REDIS = (
    "A worker takes its jobs from the app's Redis: give --redis_url (or HM_REDIS_URL). Without "
    "Redis the app runs its own worker and needs no other."
)
STOP_SECONDS = 5  # how long a stopping worker lets its running job end before it exits

log = logging.getLogger("homemovies_core.worker")


class WorkerError(Exception):
    """A worker cannot start; one sentence."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[settings_mod.build_parser()],
        conflict_handler="resolve",
        description="Process uploaded videos from the job queue in the app's Redis: probe, "
        "encode the HLS ladder, poster, seek previews, and publish each into the library.",
    )
    group = parser.add_argument_group("worker")
    group.add_argument(
        "--processes", type=int, default=1, help="worker processes (default %(default)s)"
    )
    group.add_argument(
        "--threads", type=int, default=1, help="jobs at a time in each process (default 1)"
    )
    return parser


def run(argv: Sequence[str]) -> int:
    parsed = build_parser().parse_args(list(argv))
    if not 1 <= parsed.processes <= 64 or not 1 <= parsed.threads <= 64:
        raise WorkerError("--processes and --threads must be between 1 and 64.")
    settings = load_parsed_settings(parsed)
    if not settings.use_redis:
        raise WorkerError(NEEDS_REDIS)
    if settings.metrics_port is not None and parsed.processes > 1:
        raise WorkerError(
            "--metrics_port serves one process: give --threads N instead of --processes N "
            "(N jobs at once in one process)."
        )
    if parsed.processes > 1:
        return _supervise(list(argv), parsed.processes)
    return _serve(settings, parsed.threads)


def _serve(settings: settings_mod.Settings, threads: int) -> int:
    from .jobs.gauges import QueueGauges, Refreshing
    from .jobs.queue import declare, make_broker, queue_for, start_worker
    from .jobs.runtime import build_runtime
    from .jobs.worker import Handler

    configure_logs(settings)  # the app's own: text or JSON (--log_format), no names
    cache = make_cache(settings.redis_url, insecure_tls=settings.redis_insecure_tls)
    # No URLs are made here, so any key will do; job state is Redis's alone (no fallback).
    storage = build_storage(settings, secrets.token_bytes(32), announce=log.info)
    runtime = build_runtime(settings, shared_only(cache), storage)
    if runtime.placement.reason:
        raise WorkerError(runtime.placement.reason)
    if swept := runtime.sweep_leftovers():
        log.info("Removed %d folder(s) left behind by interrupted jobs.", len(swept))
    broker = make_broker(settings.redis_url, insecure_tls=settings.redis_insecure_tls)
    handler = Handler(runtime, broker)
    queue = queue_for(storage.kind, storage.scope)
    declare(broker, handler, queue)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if settings.metrics_port is not None:
        gauges = Refreshing(QueueGauges(runtime.statuses))
        _serve_metrics(settings.metrics_host, settings.metrics_port, gauges)
    worker = start_worker(broker, threads, queue)
    print(f"Home Movies worker {os.getpid()}: ready ({threads} thread(s)).", flush=True)
    stop.wait()
    handler.stopping.set()
    worker.stop(timeout=STOP_SECONDS * 1000)
    print(f"Home Movies worker {os.getpid()}: stopped.", flush=True)
    return 0


def _serve_metrics(host: str, port: int, registry) -> None:
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise WorkerError(
            f"The figures cannot be served on {host}:{port} ({exc.strerror or exc}); choose "
            "another --metrics_port or --metrics_host."
        ) from None
    log.info("Figures for Prometheus on port %d.", port)


def _supervise(argv: list[str], processes: int) -> int:
    """Run `processes` single-process workers and stop them together."""
    command = [sys.executable, "-m", "homemovies_core", "worker", *argv, "--processes", "1"]
    children = [subprocess.Popen(command) for _ in range(processes)]

    def forward(signum, _frame) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    codes = [child.wait() for child in children]
    return max(codes, key=abs)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run_command(
        lambda: run(argv),
        name="worker",
        errors=(WorkerError,),
        interrupted="Stopped. A job that was running is taken over by another worker.",
    )
