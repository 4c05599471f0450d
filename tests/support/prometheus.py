"""A real Prometheus (Debian's /usr/bin/prometheus) on a free loopback port, running
deploy/prometheus.yml with only what a test must change: loopback targets instead of Docker's
DNS, the test's token file, a 1 s scrape interval, and the rule file's absolute path.

    config = scrape_config({"home-movies": ["127.0.0.1:8501"]}, token_file)
    with running_prometheus(tmp_path, config) as prometheus:
        prometheus.wait_for('up{job="home-movies"} == 1')
"""

from __future__ import annotations

import copy
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

from tests.support.browser import REPO_ROOT, free_port, stop, wait_for_http

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
DEPLOY = REPO_ROOT / "deploy"
JOB = "home-movies"
WORKERS_JOB = "home-movies-workers"


def scrape_config(
    targets: Mapping[str, Sequence[str]], token_file: Path, *, extra_jobs: Sequence[dict] = ()
) -> dict:
    """deploy/prometheus.yml with the job's targets and token file swapped for the test's;
    `extra_jobs` are copies of the job under other names (each its own token file). The
    workers' job gets `targets[WORKERS_JOB]`, or is left out when the test runs none."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(DEPLOY / name) for name in config["rule_files"]]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == JOB]
    assert "dns_sd_configs" in job, "deploy/prometheus.yml no longer finds replicas by DNS"
    del job["dns_sd_configs"]
    job["static_configs"] = [{"targets": list(targets[JOB])}]
    job["authorization"]["credentials_file"] = str(token_file)
    (workers,) = [j for j in config["scrape_configs"] if j["job_name"] == WORKERS_JOB]
    assert "dns_sd_configs" in workers, "deploy/prometheus.yml no longer finds workers by DNS"
    del workers["dns_sd_configs"]
    if WORKERS_JOB in targets:
        workers["static_configs"] = [{"targets": list(targets[WORKERS_JOB])}]
    else:
        config["scrape_configs"].remove(workers)
    for extra in extra_jobs:
        copied = copy.deepcopy(job)
        copied["job_name"] = extra["job_name"]
        copied["authorization"]["credentials_file"] = str(extra["credentials_file"])
        config["scrape_configs"].append(copied)
    return config


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> dict:
        answer = httpx.get(self.url + path, params=params, timeout=10)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        return self.get("/api/v1/query", query=expr)["result"]

    def wait_for(self, expr: str, timeout: float = 90) -> list[dict]:
        """Ask Prometheus until `expr` has a result (scrapes come every second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.query(expr)
            if found:
                return found
            time.sleep(0.2)
        targets = self.get("/api/v1/targets")["activeTargets"]
        raise TimeoutError(f"{expr} has no result; targets: {targets}")


@contextmanager
def running_prometheus(directory: Path, config: dict) -> Iterator[Prometheus]:
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    with (directory / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/-/ready", timeout=60, proc=proc)
        yield Prometheus(url)
    finally:
        stop(proc)
