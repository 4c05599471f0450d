"""The job queue: Dramatiq over the app's Redis (or, with no Redis, its in-memory broker).

Why Dramatiq (RQ was the other candidate): its Redis broker moves each message a worker
takes into that worker's own "acks" set and keeps a heartbeat per worker process; any
other worker's next poll moves the unacked messages of a worker whose heartbeat is older
than `heartbeat_timeout` back onto the queue. So a worker killed with SIGKILL mid-encode
leaves its job to the next idle worker with no human action. Its retries are a middleware
with a predicate (`retry_when`), so a real failure is not retried while an outage is, with
exponential backoff. And its StubBroker runs the same actor in the app's own process when
there is no Redis. (RQ 3 moves a dead worker's job to its failed registry, or retries it
only if the job has retries left, which real failures also use up; its clean-up runs every
10 minutes by default.)

The settings that make a killed worker's job finish elsewhere within 2 minutes:
- `HEARTBEAT_TIMEOUT_MS` 30 s (Dramatiq's default is 60 s): a worker process heartbeats at
  least every `WORKER_TIMEOUT_MS` (1 s), from its delay-queue consumer, even while a long
  encode keeps its one thread busy; 30 s without one means it is gone.
- `MAINTENANCE_CHANCE` = every poll (Dramatiq's default is 1 in 1,000): each idle worker
  polls about once a second, so a dead worker's job is put back about 1 s after its
  heartbeat is stale, not minutes later.
- `prefetch` = threads: a worker holds only the jobs it is running, so a second worker
  is never kept waiting behind a job the first one merely reserved.
The lease (lease.py, 20 s) runs out before the heartbeat does, so the worker that takes the
job over is not refused as a second runner.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from ..redis_cache import redis_url_from_setting

log = logging.getLogger(__name__)

QUEUE = "ingest"  # the local library's; a bucket's has its own (queue_for)
ACTOR = "ingest"
NAMESPACE = "homemovies-jobs"  # every key of the queue in Redis starts with this
HEARTBEAT_TIMEOUT_MS = 30_000
MAINTENANCE_CHANCE = MAINTENANCE_SCALE
WORKER_TIMEOUT_MS = 1_000
# An outage is retried after 5 s, 10 s, 20 s … at most 5 min apart, for about two days.
MIN_BACKOFF_MS = 5_000
MAX_BACKOFF_MS = 300_000
MAX_TRANSIENT_RETRIES = 600


def retry_when(retries: int, exception: BaseException) -> bool:
    """Only an outage is retried (the handler turns those into `dramatiq.Retry`); a real
    failure has already been written as the job's status and never reaches here."""
    return isinstance(exception, dramatiq.Retry) and retries < MAX_TRANSIENT_RETRIES


def _middleware() -> list:
    return [Retries(min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS, retry_when=retry_when)]


def make_broker(redis_url: str | None, *, insecure_tls: bool = False) -> dramatiq.Broker:
    """The Redis broker over the app's Redis, or the in-memory one when there is none.

    No TimeLimit or AgeLimit middleware: encoding a long film on a small machine may take
    hours, and a job is only over when it has made its movie or said why not."""
    if not redis_url:
        return StubBroker(middleware=_middleware())
    import redis  # only with Redis configured

    options: dict[str, Any] = dict(
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
        protocol=2,  # Redis 5 (OCI Cache) does not know HELLO 3 (see redis_cache.py)
    )
    url = redis_url_from_setting(redis_url)
    if url.startswith("rediss://") and insecure_tls:
        options["ssl_cert_reqs"] = "none"
    return RedisBroker(
        client=redis.Redis.from_url(url, **options),
        namespace=NAMESPACE,
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        maintenance_chance=MAINTENANCE_CHANCE,
        middleware=_middleware(),
    )


def queue_for(storage_kind: str, scope: str) -> str:
    """The queue of one library, so a worker never takes (and fails) another library's jobs
    from a shared Redis. A bucket's queue is named by namespace and bucket, which every
    machine sees alike. A local library has one queue: its path may differ from machine to
    machine (a share mounted elsewhere), and two local libraries rarely share a Redis."""
    if storage_kind != "oci":
        return QUEUE
    return f"{QUEUE}-oci-{hashlib.sha256(scope.encode()).hexdigest()[:12]}"


def declare(
    broker: dramatiq.Broker, handler: Callable[[dict], None], queue: str = QUEUE
) -> dramatiq.Actor:
    """The ingest actor on `broker`; `handler` gets the request as a dict."""
    return dramatiq.Actor(
        handler, broker=broker, actor_name=ACTOR, queue_name=queue, priority=0, options={}
    )


def start_worker(broker: dramatiq.Broker, threads: int, queue: str = QUEUE) -> dramatiq.Worker:
    """A worker consuming the queue with `threads` threads, started (its threads are daemons)."""
    worker = dramatiq.Worker(
        broker, queues={queue}, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS
    )
    worker.queue_prefetch = threads  # hold only what runs (see the module's docstring)
    worker.start()
    return worker


def broker_reachable(broker: dramatiq.Broker) -> bool:
    if isinstance(broker, RedisBroker):
        try:
            return bool(broker.client.ping())
        except Exception:  # any failure to answer is "not now"
            return False
    return True
