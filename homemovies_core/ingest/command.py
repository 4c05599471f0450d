"""The ingest command: check everything, print the plan or make the movies, and end with
one sentence (never a traceback) when something is wrong."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from ..commands import run_command
from ..ffmpeg import find_ffmpeg
from .cli import PROG, IngestError, parse
from .console import Progress
from .info import recorded_line
from .movie import sweep_cache
from .plan import describe, plan_jobs
from .targets import Target, connect, exists_message


def run(argv: Sequence[str], ui: Progress | None = None, prog: str = PROG) -> int:
    ui = ui or Progress()
    options, settings = parse(argv, prog)
    ffmpeg = find_ffmpeg(options.ffmpeg)
    jobs = plan_jobs(options, ffmpeg)
    target = connect(settings, options.workers)
    states = {}
    for job in jobs:
        state = target.state(job)
        if state == "complete" and not options.overwrite:
            raise IngestError(exists_message(job, target.where))
        states[job.key] = "exists: will be replaced" if state == "complete" else state
    if options.dry_run:
        for job in jobs:
            print(describe(job, options, target.where, states[job.key]))
        print("Dry run: nothing was encoded, written or uploaded.")
        return 0
    target.check_ready()
    _sweep_leftovers(target, ui)
    started = time.monotonic()
    for index, job in enumerate(jobs, 1):
        if len(jobs) > 1:
            ui.say(f"[{index}/{len(jobs)}] {job.source}")
        print(target.publish(job, options, ffmpeg, ui), flush=True)
        print(recorded_line(job), flush=True)
    if len(jobs) > 1:
        print(f"{len(jobs)} movies done in {time.monotonic() - started:.0f} s.")
    return 0


def _sweep_leftovers(target: Target, ui: Progress) -> None:
    """What killed runs left behind: hidden staging folders in the library, old encodes."""
    now = time.time()
    removed = target.sweep_leftovers(now) + sweep_cache(now)
    if removed:
        ui.say(
            f"Removed {len(removed)} leftover(s) of earlier ingests that were interrupted: "
            + ", ".join(str(p) for p in removed)
        )


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run_command(
        lambda: run(argv, prog=prog),
        name="ingest",
        errors=(IngestError,),
        interrupted="Interrupted. A local library is left as it was; an upload "
        "resumes when the same command is run again.",
    )
