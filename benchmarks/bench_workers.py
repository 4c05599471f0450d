"""Draining a queue of uploads: 1 worker vs 2 workers vs the `ingest` command, side by side.

Run: .venv/bin/python benchmarks/bench_workers.py [--clips 8] [--seconds 10] [--size 1280x720]
                                                  [--rounds 1]

Makes --clips distinct phone-like clips (H.264/AAC, --seconds long, --size), then, in each
round and in turn:
- `ingest`: `python -m homemovies_core ingest CLIP... --folder Bench` (one after another, the
  way an operator added videos before the job queue);
- `1 worker` / `2 workers`: a real redis-server, that many `python -m homemovies_core worker`
  processes (one thread each), every clip put where an upload leaves it and submitted at
  once through the app's own `svc.jobs`; timed from the first submit until every job is ready.
Every mode starts from an empty library and makes the same movies (the default ladder, no
rung above the source, poster, seek previews); the workers also hash each upload, keep its
original and remove the upload. "seconds" is wall-clock until the last movie is ready; "CPU s"
is the CPU time of everything the mode started (the commands, workers, their ffmpeg, Redis):
on a machine other people share, more processes get a larger share of it, so read the wall
times together with the CPU column. Compare the rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homemovies_core.jobs.model import IngestRequest  # noqa: E402
from tests.support.accounts import built_services  # noqa: E402
from tests.support.jobs import uploaded, wait_until, worker_process  # noqa: E402
from tests.support.media import make_clip  # noqa: E402
from tests.support.redis_server import start_redis, stop  # noqa: E402

PATTERNS = ("testsrc2", "smptebars", "rgbtestsrc", "testsrc", "smptehdbars", "yuvtestsrc")


def make_clips(folder: Path, count: int, seconds: float, size: str) -> list[Path]:
    clips = []
    for i in range(count):
        # Each one distinct (pattern and length), so no upload is a duplicate of another.
        pattern = PATTERNS[i % len(PATTERNS)]
        clip = make_clip(folder / f"clip{i + 1}.mp4", seconds=seconds + i * 0.2, size=size,
                         pattern=pattern)  # fmt: skip
        clips.append(clip)
    return clips


def run_ingest(clips: list[Path], work: Path) -> float:
    library = work / "library"
    library.mkdir()
    command = [sys.executable, "-m", "homemovies_core", "ingest", *map(str, clips),
               "--folder", "Bench", "--media_dir", str(library)]  # fmt: skip
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    elapsed = time.monotonic() - started
    assert len(list((library / "Bench").glob("*.hls"))) == len(clips)
    return elapsed


def run_workers(clips: list[Path], work: Path, workers: int) -> float:
    library, uploads = work / "library", work / "uploads"
    (library / "Bench").mkdir(parents=True)
    with ExitStack() as stack:
        proc, url = start_redis(work / "redis")
        stack.callback(stop, proc)
        flags = ["--media_dir", str(library), "--uploads_dir", str(uploads), "--redis_url", url]
        svc = built_services(library, *flags[2:])
        running = [
            stack.enter_context(worker_process(work / f"worker{i}.log", *flags))
            for i in range(workers)
        ]
        for worker in running:
            worker.wait_for_line("ready")
        requests = []
        for i, clip in enumerate(clips):
            upload_id = f"bench-{i:04d}-{os.getpid()}"
            source = uploaded(uploads, upload_id, clip)
            requests.append(IngestRequest(upload_id, "mum", "Bench", clip.stem, source,
                                          clip.stat().st_size, clip.name))  # fmt: skip
        started = time.monotonic()
        for request in requests:
            svc.jobs.submit(request)
        for request in requests:
            status = wait_until(
                lambda r=request: (s := svc.jobs.status(r.upload_id)).finished and s,
                f"job {request.upload_id}",
            )
            assert status.state == "ready", status
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        clips = make_clips(base / "clips", args.clips, args.seconds, args.size)
        modes = {
            "ingest (one after another)": lambda w: run_ingest(clips, w),
            "1 worker": lambda w: run_workers(clips, w, 1),
            "2 workers": lambda w: run_workers(clips, w, 2),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in modes}
        for round_ in range(args.rounds):
            for name, run in modes.items():
                work = base / f"r{round_}-{name.split()[0]}"
                work.mkdir()
                cpu = children_cpu()
                wall = run(work)
                times[name].append((wall, children_cpu() - cpu))
                shutil.rmtree(work, ignore_errors=True)
        report(times, args, os.cpu_count() or 1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def children_cpu() -> float:
    """CPU seconds of the processes this one started and waited for (and theirs)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def report(times: dict[str, list[tuple[float, float]]], args, cores: int) -> None:
    load = os.getloadavg()[0]
    print(f"\n{args.clips} clips of {args.seconds:.0f} s at {args.size}, {args.rounds} round(s), "
          f"{cores} core(s), load average {load:.1f} (medians)")  # fmt: skip
    print(f"{'mode':<28}{'seconds':>9}{'clips/min':>11}{'vs ingest':>11}{'CPU s':>8}")
    base = statistics.median(wall for wall, _cpu in times["ingest (one after another)"])
    for name, measured in times.items():
        wall = statistics.median(w for w, _c in measured)
        cpu = statistics.median(c for _w, c in measured)
        rate = args.clips * 60 / wall
        print(f"{name:<28}{wall:>9.1f}{rate:>11.1f}{base / wall:>10.2f}x{cpu:>8.0f}")


if __name__ == "__main__":
    main()
