"""What "Your uploads" says of each upload: its own state while bytes come, then its job's."""

from __future__ import annotations

import pytest

from homemovies_core.jobs.model import Duplicate, JobStatus
from homemovies_core.uploads.records import UploadRecord
from homemovies_core.uploads.views import PAUSED_AFTER_SECONDS, row

NOW = 1_800_000_000.0


def record(**fields) -> UploadRecord:
    base = dict(
        id="abc", owner="mum", name="Beach.mp4", title="Beach", extension=".mp4", size=1000,
        modified=1, match="m", folder="Family/", kind="tus", source="received/abc.mp4",
        received=410, created=NOW - 100, updated=NOW - 5,
    )  # fmt: skip
    return UploadRecord(**{**base, **fields})


def test_an_upload_still_coming_and_one_nobody_sends_any_more():
    assert row(record(), None, NOW).label == "Uploading 41 %"
    quiet = row(record(updated=NOW - PAUSED_AFTER_SECONDS - 1), None, NOW)
    assert (quiet.state, quiet.label) == (
        "paused",
        "Paused at 41 % · choose the file again to go on",
    )
    assert not quiet.finished


@pytest.mark.parametrize(
    ("job", "label", "key", "finished"),
    [
        (None, "Waiting", None, False),
        (JobStatus("waiting"), "Waiting", None, False),
        (
            JobStatus("waiting", message="The bucket cannot be reached."),
            "Waiting · The bucket cannot be reached.",
            None,
            False,
        ),
        (JobStatus("processing", percent=63), "Processing 63 %", None, False),
        (JobStatus("ready", video_key="Family/Beach.hls/"), "Ready", "Family/Beach.hls/", True),
        (
            JobStatus("failed", message="'Beach.mp4' is not a video."),
            "Failed: 'Beach.mp4' is not a video.",
            None,
            True,
        ),
        (
            JobStatus("ready", duplicate_of=Duplicate("Trips/Sea.hls/", "Sea", "Trips")),
            "Already in Trips as Sea",
            "Trips/Sea.hls/",
            True,
        ),
    ],
)
def test_a_queued_upload_says_what_its_job_says(job, label, key, finished):
    shown = row(record(state="submitted", received=1000), job, NOW)
    assert (shown.label, shown.video_key, shown.finished) == (label, key, finished)


def test_an_upload_that_arrived_wrong_says_why():
    failed = row(record(state="failed", message="Only 10 of 1000 bytes arrived."), None, NOW)
    assert failed.label == "Failed: Only 10 of 1000 bytes arrived." and failed.finished
