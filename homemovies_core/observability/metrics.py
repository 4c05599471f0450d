"""Every figure GET /metrics shows, declared once, in the process's default registry.

One registry per process is enough: a replica is one Streamlit process serving all of its
sessions from threads, and a worker is a process of its own that serves its registry on its
own port. (prometheus-client's multiprocess mode is for servers that fork workers sharing
one port, which neither does.)

Label values come only from fixed sets written in the code (route and page names, results,
outcomes, operations): never a user name, title, folder, token or URL, so nothing a person
can type reaches a label and the number of series stays small.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# `*_created` series double every counter for a figure no dashboard here uses.
disable_created_metrics()

# A page run is "slow" from 1 s (deploy/alerts.yml): buckets around that, up to a cold start.
SCRIPT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
# HTTP includes /video, where a whole Range response is streamed before the request ends.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
# An interactive OCI call gives up after ~10 s (oci/policy.py); background ones much later.
STORAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)

HTTP_REQUEST_DURATION = Histogram(
    "hm_http_request_duration_seconds",
    "HTTP requests (ours and Streamlit's, not the websocket), from the first byte in to the "
    "last byte out, by route name and status code.",
    ["route", "status"],
    buckets=HTTP_BUCKETS,
)
SCRIPT_RUN_DURATION = Histogram(
    "hm_script_run_duration_seconds",
    "Streamlit script runs (what a click or a page load waits for), by page.",
    ["page"],
    buckets=SCRIPT_BUCKETS,
)
PLAYBACK_GRANTS = Counter(
    "hm_playback_grants",
    "Playback URLs handed out: issued (a new PAR or token), reused (from the cache) or failed.",
    ["result"],
)
STORAGE_REQUESTS = Counter(
    "hm_storage_requests",
    "Calls to the storage backend (OCI Object Storage or the folder), by operation and outcome "
    "(ok, error, timeout).",
    ["op", "outcome"],
)
STORAGE_REQUEST_DURATION = Histogram(
    "hm_storage_request_duration_seconds",
    "Calls to the storage backend, retries included, by operation.",
    ["op"],
    buckets=STORAGE_BUCKETS,
)
CACHE_REQUESTS = Counter(
    "hm_cache_requests",
    "Cache (Redis) reads that found a value (hit) or none (miss), and calls Redis failed (error).",
    ["result"],
)
CACHE_DEGRADED = Gauge(
    "hm_cache_degraded",
    "1 while Redis cannot be reached and this replica serves from its own memory, else 0.",
)
SESSIONS_ACTIVE = Gauge(
    "hm_sessions_active", "Browser sessions (websockets) connected to this replica."
)
LOGINS = Counter(
    "hm_logins",
    "Password logins: ok, wrong (user name or password), throttled (too many failures).",
    ["result"],
)
# -- the job queue ("Add videos"): declared here, set by the job code -------------------------
JOBS = Gauge(
    "hm_jobs",
    "Jobs by state: queued (waiting for a worker), running, failed (kept 7 days; not cancelled).",
    ["state"],
)
JOB_DURATION = Histogram(
    "hm_job_duration_seconds",
    "Job runs this process ended (a movie or a failure), from start to end.",
    buckets=JOB_BUCKETS,
)
JOBS_OLDEST_QUEUED = Gauge(
    "hm_jobs_oldest_queued_seconds",
    "How long the oldest job still queued has waited (0 when none is).",
)

PLAYBACK_RESULTS = ("issued", "reused", "failed")
STORAGE_OPS = ("list", "read", "grant")
STORAGE_OUTCOMES = ("ok", "error", "timeout")
CACHE_RESULTS = ("hit", "miss", "error")
LOGIN_RESULTS = ("ok", "wrong", "throttled")
JOB_STATES = ("queued", "running", "failed")


def _start_at_zero() -> None:
    """Every series of a fixed set exists from the start, so `rate()` and the ratios in
    deploy/alerts.yml have something to divide by before the first failure."""
    for result in PLAYBACK_RESULTS:
        PLAYBACK_GRANTS.labels(result=result)
    for op in STORAGE_OPS:
        STORAGE_REQUEST_DURATION.labels(op=op)
        for outcome in STORAGE_OUTCOMES:
            STORAGE_REQUESTS.labels(op=op, outcome=outcome)
    for result in CACHE_RESULTS:
        CACHE_REQUESTS.labels(result=result)
    for result in LOGIN_RESULTS:
        LOGINS.labels(result=result)
    for state in JOB_STATES:
        JOBS.labels(state=state)


_start_at_zero()


def record_job_queue(
    *, queued: int, running: int, failed: int, oldest_queued_seconds: float
) -> None:
    """The job queue as it is now; the job code calls this where it looks at the queue."""
    for state, count in (("queued", queued), ("running", running), ("failed", failed)):
        JOBS.labels(state=state).set(count)
    JOBS_OLDEST_QUEUED.set(oldest_queued_seconds)


def observe_job(seconds: float) -> None:
    """One job ended (done or failed) after `seconds`."""
    JOB_DURATION.observe(seconds)
