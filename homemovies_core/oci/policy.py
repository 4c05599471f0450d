"""How patient each OCI call is: timeouts and bounded retries.

The SDK applies its own DEFAULT_RETRY_STRATEGY (8 attempts, up to 600 s) and a default
circuit breaker (open after 10 failures, for 30 s) to every call unless a client is
given something else. A page must never wait that long, so every client we build
carries an explicit policy: INTERACTIVE for anything a page waits on, BACKGROUND for
the sweep, uploads and other work nobody is watching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import oci


@dataclass(frozen=True)
class CallPolicy:
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    total_seconds: float  # no new attempt starts after this much time has passed
    base_sleep: float  # backoff: base * 2**(attempt-1) + jitter, capped at max_sleep
    max_sleep: float

    def retry_strategy(self):
        # Retries 429, every 5xx except 501, 409 IncorrectState/LockConflict, timeouts and
        # connection errors (the SDK's TimeoutConnectionAndServiceErrorRetryChecker).
        return oci.retry.RetryStrategyBuilder(
            max_attempts_check=True,
            max_attempts=self.max_attempts,
            total_elapsed_time_check=True,
            total_elapsed_time_seconds=self.total_seconds,
            service_error_check=True,
            service_error_retry_on_any_5xx=True,
            retry_base_sleep_time_seconds=self.base_sleep,
            retry_exponential_growth_factor=2,
            retry_max_wait_between_calls_seconds=self.max_sleep,
            decorrelated_jitter=self.base_sleep,
        ).get_retry_strategy()

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for any `oci` service client."""
        return {
            "timeout": (self.connect_timeout, self.read_timeout),
            "retry_strategy": self.retry_strategy(),
            # `None` would be replaced by the SDK's default breaker; ours is the retry bound.
            "circuit_breaker_strategy": oci.circuit_breaker.NoCircuitBreakerStrategy(),
        }

    def worst_case_seconds(self) -> float:
        """An upper bound on one call, retries included: the last attempt may start just
        before `total_seconds`, after the longest sleep, and then use both timeouts."""
        return self.total_seconds + self.max_sleep + self.connect_timeout + self.read_timeout


# A page waits at most ~10 s for one call: 3 attempts against errors answered quickly
# (about 1 s of backoff in all), a second attempt after a read timeout, never a third.
INTERACTIVE = CallPolicy(
    connect_timeout=2, read_timeout=3, max_attempts=3, total_seconds=4, base_sleep=0.25, max_sleep=1
)
# The sweep and other unattended work may wait minutes for OCI to recover.
BACKGROUND = CallPolicy(
    connect_timeout=5,
    read_timeout=30,
    max_attempts=6,
    total_seconds=120,
    base_sleep=1,
    max_sleep=15,
)
