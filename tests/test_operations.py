"""What an operator sees of the real app (`streamlit run Home.py --log_format json
--metrics_token_file F` on the fake OCI bucket): a real Prometheus scraping /metrics with the
token from a file, and the JSON log of a real browser session — log in, play a video, pause
it, make a share link, open it as a stranger — holding none of the secrets that session used.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.accounts import COOKIE_KEY, PASSWORD, family_login
from tests.support.browser import (
    REPO_ROOT,
    free_port,
    run_streamlit,
    stop,
    wait_for_http,
    wait_for_video,
)
from tests.support.flows import heading, log_in_for_good, open_folder, play, settle
from tests.support.oci_env import library_in_a_bucket
from tests.support.prometheus import running_prometheus, scrape_config

BUCKET = "family-movies"
# A name found nowhere else in a log by chance (unlike "mum" in "maximum").
USER_NAME = "rosalind"
FOLDER, TITLE = "Summer 2023 #1", "Beach day"
REQUIRED = {"time", "level", "event", "logger", "request_id", "replica"}
PAGES = {"home", "library", "timeline", "shares", "devices", "watch", "shared", "pair", "login"}


@dataclass(frozen=True)
class RunningApp:
    url: str
    log_path: Path
    token: str

    def metrics(self) -> str:
        answer = httpx.get(self.url + "/metrics", headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        return answer.text


@pytest.fixture(scope="module")
def fake_oci(library_dir, tmp_path_factory):
    with library_in_a_bucket(library_dir, tmp_path_factory.mktemp("oci"), BUCKET) as running:
        yield running


@pytest.fixture(scope="module")
def app(fake_oci, tmp_path_factory) -> Iterator[RunningApp]:
    server, config = fake_oci
    directory = tmp_path_factory.mktemp("ops-app")
    token = secrets.token_hex(32)
    (directory / "metrics_token").write_text(token + "\n")
    args = [
        "--bucket", BUCKET, "--os_endpoint", server.endpoint, "--oci_config", str(config),
        *family_login(
            "--log_format", "json", "--metrics_token_file", str(directory / "metrics_token"),
            "--trusted_proxies", "127.0.0.1",  # the test plays the proxy (its X-Request-Id)
            username=USER_NAME,
        ),
    ]  # fmt: skip
    port = free_port()
    log_path = directory / "app.log"
    with log_path.open("wb") as output:
        proc = run_streamlit(REPO_ROOT / "Home.py", port, args, output=output)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", timeout=90, proc=proc)
        yield RunningApp(url, log_path, token)
    finally:
        stop(proc)


# -- Prometheus -------------------------------------------------------------------------------


def test_prometheus_scrapes_the_app_with_the_token_from_a_file(app, tmp_path):
    token_file, wrong_file = tmp_path / "token", tmp_path / "wrong"
    token_file.write_text(app.token + "\n")
    wrong_file.write_text(secrets.token_hex(32) + "\n")
    target = urlsplit(app.url).netloc
    config = scrape_config(
        {"home-movies": [target]},
        token_file,
        extra_jobs=[{"job_name": "wrong-token", "credentials_file": wrong_file}],
    )
    with running_prometheus(tmp_path / "prometheus", config) as prometheus:
        prometheus.wait_for('up{job="home-movies"} == 1')
        health = 'hm_http_request_duration_seconds_count{job="home-movies",route="health"}'
        before = prometheus.wait_for(health)[0]["value"][1]
        for _ in range(3):
            assert httpx.get(app.url + "/health").status_code == 200
        prometheus.wait_for(f"{health} >= {float(before) + 3}")

        # The same replica, scraped with the wrong token: refused, so Prometheus counts it down.
        prometheus.wait_for('up{job="wrong-token"} == 0')
        (refused,) = [
            t
            for t in prometheus.get("/api/v1/targets")["activeTargets"]
            if t["labels"]["job"] == "wrong-token"
        ]
        assert "401" in refused["lastError"]
        # And deploy/alerts.yml loads into the real server.
        rules = prometheus.get("/api/v1/rules")["groups"]
        assert {r["name"] for g in rules for r in g["rules"]} >= {"HomeMoviesReplicaDown"}


# -- the log of a browser session -------------------------------------------------------------


def test_a_browser_session_s_json_log_holds_no_secret(app, fake_oci, browser):
    server, _ = fake_oci
    family = browser.new_context(viewport={"width": 1280, "height": 900})
    page = family.new_page()
    posters: list[str] = []
    page.on("request", lambda r: "/poster/" in r.url and posters.append(r.url))
    page.goto(app.url)
    log_in_for_good(page, PASSWORD, USER_NAME)
    open_folder(page, FOLDER)
    play(page, TITLE)
    wait_for_video(page, "v.currentTime > 1")
    with page.expect_request(lambda r: r.url.endswith("/api/progress")) as reported:
        page.locator("video").first.evaluate("v => v.pause()")
    progress_token = json.loads(reported.value.post_data)["token"]
    page.get_by_role("button", name=re.compile("Share")).click()
    page.get_by_role("button", name="Create link").click()
    settle(page)
    link = page.get_by_test_id("stCode").first.inner_text().strip()
    share_token = link.rsplit("t=", 1)[1]

    stranger = browser.new_context()
    shared = stranger.new_page()
    shared.goto(link)
    wait_for_video(shared, "v.currentTime > 1")
    expect(heading(shared, TITLE)).to_be_visible()

    figures = app.metrics()
    assert _sample(figures, "hm_sessions_active") >= 2  # the family's tab and the stranger's
    cookies = [c["value"] for c in family.cookies()]
    family.close()
    stranger.close()

    lines = _log_until_marker(app)
    issued = server.model.pars(BUCKET)
    assert issued, "the session made no PAR: the test would prove nothing"
    used = {
        "password": PASSWORD,
        "cookie key": COOKIE_KEY,
        "metrics token": app.token,
        "share token": share_token,
        "progress token": progress_token,
        "user name": USER_NAME,
        "title": TITLE,
        "folder": FOLDER.split(" #")[0],
        **{f"cookie {i}": value for i, value in enumerate(cookies) if len(value) >= 16},
        **{f"poster token {i}": url.split("/poster/")[1][:40] for i, url in enumerate(posters)},
        **{f"PAR {par.id}": par.token for par in issued},
        **{f"PAR URL {par.id}": server.endpoint + par.access_uri for par in issued},
    }
    assert posters and cookies
    text = app.log_path.read_text(encoding="utf-8")
    assert {what for what, secret in used.items() if secret in text} == set()
    # /metrics shows none of them either: labels come from fixed sets.
    assert {what for what, secret in used.items() if secret in figures} == set()

    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(REQUIRED <= r.keys() for r in records), [r for r in records if REQUIRED - r.keys()]
    requests = [r for r in records if r["event"] == "request"]
    runs = [r for r in records if r["event"] == "script run"]
    assert requests and runs
    assert all(r["request_id"] and r["route"] and r["status"] for r in requests)
    assert all(isinstance(r["duration_ms"], float) for r in requests + runs)
    assert {r["page"] for r in runs} <= PAGES and {"login", "watch", "shared"} <= {
        r["page"] for r in runs
    }
    assert len({r["request_id"] for r in requests + runs}) == len(requests + runs)
    (login,) = [r for r in records if r["event"].startswith("Logged in")]
    assert login["request_id"] in {r["request_id"] for r in runs}
    assert login["user"] in {r.get("user") for r in runs if r["page"] == "watch"}

    for name, minimum in (
        ('hm_logins_total{result="ok"}', 1),
        ('hm_playback_grants_total{result="issued"}', 1),
        ('hm_storage_requests_total{op="grant",outcome="ok"}', 1),
        ('hm_script_run_duration_seconds_count{page="watch"}', 1),
        ('hm_http_request_duration_seconds_count{route="progress",status="204"}', 1),
    ):
        assert _sample(figures, name) >= minimum, name


def _log_until_marker(app: RunningApp, timeout: float = 60) -> list[str]:
    """The log's lines up to one request of ours, made last and found by its request id
    (loopback is named a trusted proxy): every line before it was written whole. (A bad report to
    the progress route: refused, but logged at INFO, unlike /health.)"""
    marker = f"end-of-test-{secrets.token_hex(4)}"
    answer = httpx.post(app.url + "/api/progress", json={}, headers={"X-Request-Id": marker})
    assert answer.status_code == 400 and answer.headers["X-Request-Id"] == marker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = app.log_path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if marker in line:
                return lines[: i + 1]
        time.sleep(0.1)
    raise TimeoutError(f"no line of request {marker} in the app's log")


def _sample(exposition: str, series: str) -> float:
    """The value of one series (`name` or `name{labels}`, labels as written) in /metrics."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} is not in /metrics")
