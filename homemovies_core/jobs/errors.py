"""How a job ends when it does not make a movie: for good, for now, or because it was asked to.

The queue's retry rule reads these (queue.py): a `JobFailed` is not retried (a text file
named .mp4 stays one), a `Transient` is (the storage or Redis was down: later it works).
"""

from __future__ import annotations


class JobFailed(Exception):
    """The upload cannot become a movie; the message is the one sentence its owner sees."""


class Transient(Exception):
    """Something the job needs is down or busy; the job is tried again later. The message
    says why, for the operator's log and the waiting card."""

    def __init__(
        self, message: str, delay_seconds: float | None = None, *, shown: bool = True
    ) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds
        self.shown = shown  # False: the job's status keeps saying what it said


class Cancelled(Exception):
    """Its owner cancelled the job while it ran."""


class LeaseLost(Transient):
    """Another worker holds this job now (lease.py): this run stops and writes nothing. The
    queue tries the message again later, which finds the job done, or running elsewhere."""

    def __init__(self) -> None:
        super().__init__("Another worker took this job over.", 60, shown=False)
