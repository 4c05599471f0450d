"""Search time over a library the size of bench_oci_listing.py's bucket (1,200 videos in 20
folders: 200 HLS movies and 1,000 MP4s), from the listings the app has cached.

    .venv/bin/python benchmarks/bench_search.py [--videos 1200] [--runs 50]

Search makes no storage call: it filters and sorts the videos it is given, so its time grows
with their number. Prints the median and worst time per query, in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homemovies_core.library import Kind, Video  # noqa: E402
from homemovies_core.search import search  # noqa: E402

WORDS = ("Beach", "day", "Birthday", "Grandpa", "Élodie", "garden", "party", "Skiing", "trip")
QUERIES = ("beach", "birthday party", "elodie", "zzz nothing", "b")


def library(count: int) -> list[Video]:
    videos = []
    for n in range(count):
        folder = f"Folder {n % 20:02d}/"
        title = f"{WORDS[n % len(WORDS)]} {WORDS[(n // 7) % len(WORDS)]} #{n}"
        hls = n % 6 == 0  # 200 of 1,200 are HLS movies
        key = folder + title + (".hls/" if hls else ".mp4")
        videos.append(Video(key, folder, title, Kind.HLS if hls else Kind.PROGRESSIVE, ""))
    return videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    videos = library(args.videos)
    print(f"search over {len(videos)} videos, {args.runs} runs per query")
    print(f"{'query':<16}{'matches':>9}{'median ms':>11}{'worst ms':>10}")
    for query in QUERIES:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = search(videos, query)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{query:<16}{result.total:>9}{statistics.median(times):>11.1f}{max(times):>10.1f}")


if __name__ == "__main__":
    main()
