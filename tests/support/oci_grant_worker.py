"""A second process for the single-flight test: many threads ask for one video's URL.

    python tests/support/oci_grant_worker.py ENDPOINT CONFIG REDIS_URL TARGET THREADS

Prints "ready", waits for a line on stdin (so two workers start together), then prints
one JSON line: the distinct URLs its threads received.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from homemovies_core import settings as settings_mod
from homemovies_core.oci.storage import OciStorage
from homemovies_core.pars import PlaybackUrls
from homemovies_core.redis_cache import make_cache


def main() -> None:
    endpoint, config, redis_url, target, threads = sys.argv[1:6]
    settings = settings_mod.load(
        ["--bucket", "movies", "--os_endpoint", endpoint, "--oci_config", config],
        env={},
        secrets_files=(),
    )
    urls = PlaybackUrls(
        OciStorage.from_settings(settings),
        make_cache(redis_url),
        ttl_seconds=6 * 3600,
        min_remaining_seconds=3 * 3600,
    )
    barrier = threading.Barrier(int(threads))
    got: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        barrier.wait()
        url = urls.grant(target, prefix=False).url
        with lock:
            got.append(url)

    workers = [threading.Thread(target=ask) for _ in range(int(threads))]
    print("ready", flush=True)
    sys.stdin.readline()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps(sorted(set(got)) + [len(got)]), flush=True)


if __name__ == "__main__":
    main()
