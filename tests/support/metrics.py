"""Reading this process's Prometheus figures in a test, as a change since a starting point.

The metrics are process-wide (as in the app), so a test compares before and after its own
actions rather than expecting absolute values.
"""

from __future__ import annotations

from prometheus_client import REGISTRY


def value(name: str, **labels: str) -> float:
    """The sample's current value; 0 for a series that does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Changes:
    """`changes = Changes(); ...; changes("hm_logins_total", result="ok") == 1`"""

    def __init__(self) -> None:
        self._start = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in REGISTRY.collect()
            for sample in family.samples
        }

    def __call__(self, name: str, **labels: str) -> float:
        return value(name, **labels) - self._start.get((name, tuple(sorted(labels.items()))), 0.0)
