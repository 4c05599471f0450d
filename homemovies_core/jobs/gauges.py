"""The job queue's gauges for Prometheus (`hm_jobs`, `hm_jobs_oldest_queued_seconds`),
counted when Prometheus asks for them.

`Refreshing` is the registry a /metrics page renders: it counts the queue (the statuses in
the Cache, StatusStore.census: two key scans and a read of each unfinished job) and then
hands over every figure of the process's registry. So the figures are as fresh as the
scrape, and nothing runs while nobody scrapes. Every process that reports them counts the
same shared queue, so dashboards and alerts take the `max` over instances. Workers report
it (on --metrics_port), and so does the app: its in-process worker's queue, or with Redis
the shared one, so a queue that no worker takes jobs from still shows (and alerts) on the
app's own /metrics. How long each job took (`hm_job_duration_seconds`) is observed by
whoever ran it (process.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric

from ..observability.metrics import record_job_queue
from .status import StatusStore

log = logging.getLogger(__name__)


class QueueGauges:
    def __init__(self, statuses: StatusStore) -> None:
        self.statuses = statuses
        self._failing = False

    def refresh(self) -> None:
        """Count the queue now. While Redis cannot be reached the figures stay as they
        were (hm_cache_degraded says why)."""
        try:
            census = self.statuses.census()
        except Exception as exc:  # whatever the Cache's client raises
            if not self._failing:
                log.warning("The job queue cannot be counted (%s).", type(exc).__name__)
            self._failing = True
            return
        self._failing = False
        record_job_queue(
            queued=census.queued,
            running=census.running,
            failed=census.failed,
            oldest_queued_seconds=census.oldest_queued_seconds,
        )


class Refreshing:
    """A registry for prometheus-client's renderers (`generate_latest`, its HTTP server):
    the queue counted first, then `base`'s figures."""

    def __init__(self, gauges: QueueGauges, base: CollectorRegistry = REGISTRY) -> None:
        self.gauges = gauges
        self.base = base

    def collect(self) -> Iterator[Metric]:
        self.gauges.refresh()
        yield from self.base.collect()

    def restricted_registry(self, names: Iterable[str]):
        """`/metrics?name[]=…` asks for some figures only (as the renderer does)."""
        self.gauges.refresh()
        return self.base.restricted_registry(names)
