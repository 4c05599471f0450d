"""50 concurrent requests for one video from two processes sharing a real redis-server:
exactly one CreatePreauthenticatedRequest reaches (fake) OCI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config
from tests.support.oci_env import BUCKET, NS
from tests.support.redis_server import start_redis, stop

WORKER = Path(__file__).parent / "support" / "oci_grant_worker.py"
TARGET = "Holidays/Beach day #1.mp4"


def test_two_processes_fifty_requests_one_par(tmp_path):
    config = write_oci_config(tmp_path / "oci")
    model = FakeOCIModel(namespace=NS)
    model.create_bucket(BUCKET)
    model.put_object(BUCKET, TARGET, b"beach")
    model.latency_seconds = 0.05  # every call is slow enough for the misses to overlap
    redis_proc, redis_url = start_redis(tmp_path / "redis")
    workers = []
    try:
        with start_fake_oci(model) as server:
            for _ in range(2):
                workers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            str(WORKER),
                            server.endpoint,
                            str(config),
                            redis_url,
                            TARGET,
                            "25",
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
            for w in workers:
                assert w.stdout.readline().strip() == "ready", w.stderr.read()
            model.reset_counts()
            for w in workers:  # both processes release their 25 threads together
                w.stdin.write("go\n")
                w.stdin.flush()
            results = []
            for w in workers:
                out, err = w.communicate(timeout=60)
                assert w.returncode == 0, err
                results.append(json.loads(out.strip().splitlines()[-1]))
            assert model.counts["CreatePreauthenticatedRequest"] == 1
            (url_a, count_a), (url_b, count_b) = results
            assert count_a == count_b == 25
            assert url_a == url_b
            assert httpx.get(url_a).content == b"beach"
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        stop(redis_proc)
