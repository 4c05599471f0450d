"""Two replicas and one redis-server behind HAProxy in plain round-robin (no session affinity),
driven in headless Chromium: the app must act as one app whichever replica answers a request or
holds the websocket, and a browser must get through a replica dying mid-session. Then a cold
replica must draw a folder that another replica listed, from Redis, without asking OCI.

HAProxy runs deploy/haproxy.cfg itself (tests/support/cluster.py lists the test-only lines).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Response, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.accounts import local_app
from tests.support.browser import wait_for_video
from tests.support.cluster import Cluster, Replica, running_cluster
from tests.support.flows import heading, log_in_for_good, open_folder, play, settle
from tests.support.media import make_clip
from tests.support.oci_env import library_in_a_bucket, oci_app
from tests.support.redis_server import start_redis
from tests.support.redis_server import stop as stop_redis

BUCKET = "family-movies"
RESUMING = re.compile("Resuming at 0:0[5-6]")
# Streamlit's frontend, opened at a nested page such as /watch, first looks for its server one
# level down (/watch/_stcore/health and /watch/_stcore/host-config: 404) before the root. A
# single replica shows exactly these; nothing else the pages load may fail.
BASE_PATH_PROBE = re.compile(r"^/[^/_][^/]*/_stcore/(health|host-config)$")


# -- what the browser loaded ------------------------------------------------------------------
@dataclass
class Traffic:
    """Every response a browser context got from the app, and every request that failed."""

    origin: str
    responses: list[Response] = field(default_factory=list)
    failed: list[Request] = field(default_factory=list)
    in_flight: set[Request] = field(default_factory=set)

    def record_start(self, request: Request) -> None:
        if request.url.startswith(self.origin + "/"):
            self.in_flight.add(request)

    def record(self, response: Response) -> None:
        if response.url.startswith(self.origin + "/"):
            self.responses.append(response)

    def record_end(self, request: Request) -> None:
        self.in_flight.discard(request)

    def record_failure(self, request: Request) -> None:
        self.in_flight.discard(request)
        # The browser cancels media and pending loads itself when a page goes away or a video
        # seeks: that is ERR_ABORTED, not an answer the app failed to give.
        if request.url.startswith(self.origin + "/") and request.failure != "net::ERR_ABORTED":
            self.failed.append(request)

    def wait_until_quiet(self, page: Page, timeout_ms: float = 30_000) -> None:
        """Until no request of this person's is on its way: a replica killed in the middle of
        an answer cuts it short, and no balancer can send half an answer again. (A page's
        last lazily loaded scripts may still be coming when its heading shows.)"""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.in_flight:
            left = deadline - time.monotonic()
            assert left > 0, f"still loading: {sorted(r.url for r in self.in_flight)}"
            # Waiting for the next finished request is what lets Playwright deliver the
            # events; one that fails instead ends the wait at the timeout, and we look again.
            with contextlib.suppress(PlaywrightTimeoutError):
                page.wait_for_event("requestfinished", timeout=min(left * 1000, 1_000))

    def unexpected(self) -> list[str]:
        """Requests the app (or HAProxy in front of it) did not answer properly."""
        found = [
            f"{r.status} {r.request.method} {urlsplit(r.url).path}"
            for r in self.responses
            if r.status >= 400
            and not (r.status == 404 and BASE_PATH_PROBE.match(urlsplit(r.url).path))
        ]
        return found + [f"{r.failure} {r.method} {urlsplit(r.url).path}" for r in self.failed]


@dataclass
class Person:
    """Someone with their own browser (a context: own cookies), whose traffic is recorded."""

    page: Page
    traffic: Traffic


@pytest.fixture
def people(browser: Browser, cluster: Cluster):
    contexts = []

    def new_person() -> Person:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        traffic = Traffic(cluster.url)
        context.on("request", traffic.record_start)
        context.on("response", traffic.record)
        context.on("requestfinished", traffic.record_end)
        context.on("requestfailed", traffic.record_failure)
        return Person(context.new_page(), traffic)

    yield new_person
    for context in contexts:
        context.close()


def assert_every_request_answered(cluster: Cluster, *people: Person) -> None:
    """Nothing the pages loaded through HAProxy failed, and every one of those URLs is answered
    by each replica on its own too: no page depends on state that lives in one process."""
    for person in people:
        assert person.traffic.unexpected() == [], "requests through HAProxy failed"
    wrong, asked = [], set()
    for person in people:
        request = person.page.context.request  # sends the person's cookies, to any port
        for response in person.traffic.responses:
            parts = urlsplit(response.url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            method = response.request.method
            # The one-time cookie hand-off (/auth/session) cannot be replayed, by design.
            replayable = (method == "GET" and parts.path != "/_stcore/stream") or (
                method == "POST" and parts.path == "/api/progress"
            )
            if response.status >= 400 or not replayable or (method, target) in asked:
                continue
            asked.add((method, target))
            headers = {"Range": "bytes=0-1023"} if parts.path.startswith("/video/") else {}
            for replica in cluster.replicas:
                answer = request.fetch(
                    replica.url + target,
                    method=method,
                    headers=headers,
                    data=response.request.post_data_buffer,
                )
                if answer.status >= 400:
                    wrong.append(f"replica {replica.name}: {method} {target} -> {answer.status}")
    assert asked, "the pages loaded nothing through HAProxy"
    assert wrong == [], (
        f"{len(wrong)} of {len(asked)} URLs the pages loaded are not answered by every replica"
    )


# -- the cluster ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def library(library_dir, tmp_path_factory) -> Path:
    """The usual test library plus two 20-second clips (the usual ones are 4 s: too short to
    stop more than 5 s in, which is where resuming starts); each test resumes its own."""
    root = tmp_path_factory.mktemp("scaleout-library")
    shutil.copytree(library_dir, root, dirs_exist_ok=True)
    for title in ("Long walk", "Long run"):
        make_clip(root / "Long films" / f"{title}.mp4", seconds=20)
    return root


@pytest.fixture(scope="module")
def cluster(library, tmp_path_factory):
    with running_cluster(
        tmp_path_factory.mktemp("cluster"),
        local_app(library, "--trusted_proxies", "127.0.0.1"),
    ) as running:
        yield running


def reload_on_the_other_replica(cluster: Cluster, page: Page) -> str:
    """Reload the page with HAProxy draining the replica that holds its websocket, so that the
    page, its assets and its new websocket all come from the other one; returns that one."""
    here = cluster.websocket_server()
    there = cluster.other(here).name
    opened = len(cluster.opened_websockets())
    cluster.set_state(here, "drain")
    try:
        page.reload()
        assert cluster.wait_for_websocket(opened) == there
    finally:
        cluster.set_state(here, "ready")
    return there


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    log_in_for_good(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def watch_and_pause(page: Page, url: str, title: str) -> None:
    """Log in, play `title` of "Long films" past 5.5 s and pause it; the player reports the
    position at once (POST /api/progress)."""
    log_in(page, url)
    open_folder(page, "Long films")
    play(page, title)
    wait_for_video(page, "v.currentTime >= 5.5")
    with page.expect_response(lambda r: r.url.endswith("/api/progress")) as report:
        page.locator("video").first.evaluate("v => v.pause()")
    assert report.value.status == 204


def assert_resumed(page: Page) -> None:
    """Playing, from where it was paused: played ranges start where playback started, so a
    resume begins there, not at 0."""
    wait_for_video(page, "v.played.length > 0 && v.currentTime > v.played.start(0) + 0.5")
    assert page.locator("video").first.evaluate("v => v.played.start(0)") >= 4.0


def restart(cluster: Cluster, replica: Replica) -> None:
    """Bring a killed replica back and wait until HAProxy sends it requests again."""
    replica.start()
    cluster.wait_for_state({r.name: "UP" for r in cluster.replicas})


# -- browsing and playing ---------------------------------------------------------------------
def test_browse_play_and_reload_through_round_robin(cluster, people):
    person = people()
    page = person.page
    log_in(page, cluster.url)
    open_folder(page, "Summer 2023 #1")
    play(page, "Beach day")
    wait_for_video(page, "v.currentTime > 1.5")
    assert page.locator("video").first.get_attribute("data-engine") == "progressive"

    # A reload whose websocket lands on the other replica: still logged in, the same video.
    watching = page.url
    reload_on_the_other_replica(cluster, page)
    expect(heading(page, "Beach day")).to_be_visible()
    wait_for_video(page, "v.currentTime > 1.0")
    assert page.url == watching
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)

    page.get_by_role("link", name="← Back").click()
    open_folder(page, "Home videos")
    play(page, "Party #2 ?")
    wait_for_video(page, "v.currentTime > 1.5", timeout=40)
    assert page.locator("video").first.get_attribute("data-engine") == "native"
    page.goto(page.url + "&engine=hlsjs")  # hls.js, as Firefox plays it: from /player/
    expect(heading(page, "Party #2 ?")).to_be_visible()
    wait_for_video(page, "v.currentTime > 1.5", timeout=40)
    assert page.locator("video").first.get_attribute("data-engine") == "hlsjs"

    served = Counter(s.server for s in cluster.served())
    assert served["a"] > 0 and served["b"] > 0, f"HAProxy did not balance: {served}"
    assert_every_request_answered(cluster, person)


def test_a_share_link_from_behind_the_balancer_plays_for_a_stranger(cluster, people):
    owner = people()
    log_in(owner.page, cluster.url)
    open_folder(owner.page, "Summer 2023 #1")
    play(owner.page, "Beach day")
    owner.page.get_by_role("button", name=re.compile("Share")).click()
    owner.page.get_by_role("button", name="Create link").click()
    settle(owner.page)
    link = owner.page.get_by_test_id("stCode").first.inner_text().strip()
    # The balancer's address, which the stranger can reach, not a replica's own port.
    assert re.fullmatch(re.escape(cluster.url) + r"/shared\?t=[A-Za-z0-9_\-]{43}", link), link

    stranger = people()  # no cookies, never logged in
    stranger.page.goto(link)
    wait_for_video(stranger.page, "v.currentTime > 1.5")
    expect(heading(stranger.page, "Beach day")).to_be_visible()
    reload_on_the_other_replica(cluster, stranger.page)
    wait_for_video(stranger.page, "v.currentTime > 1.0")
    expect(stranger.page.get_by_role("button", name="Log in")).to_have_count(0)
    assert_every_request_answered(cluster, owner, stranger)


def test_resume_after_a_reload_on_the_other_replica(cluster, people):
    person = people()
    page = person.page
    watch_and_pause(page, cluster.url, "Long walk")

    reload_on_the_other_replica(cluster, page)
    expect(heading(page, "Long walk")).to_be_visible()
    expect(page.get_by_text(RESUMING)).to_be_visible()
    assert_resumed(page)
    assert_every_request_answered(cluster, person)


# -- a replica dies ---------------------------------------------------------------------------
def test_the_browser_carries_on_when_its_replica_is_killed(cluster, people):
    person = people()
    page = person.page
    watch_and_pause(page, cluster.url, "Long run")
    watching = page.url
    expect(page.get_by_text(RESUMING)).to_have_count(0)  # a first visit: nothing to resume

    victim = cluster.replica(cluster.websocket_server())
    survivor = cluster.other(victim.name).name
    opened = len(cluster.opened_websockets())
    victim.kill()
    try:
        assert cluster.wait_for_websocket(opened) == survivor
        # The survivor draws the same page for the same person, resuming where they paused.
        expect(
            page.get_by_text(RESUMING),
            f"after its websocket moved to replica {survivor}, "
            f"the watch page was not drawn again: the survivor's new session has never run "
            f"the page, so it knows none of its buttons and drops the next click",
        ).to_be_visible(timeout=60_000)
        assert page.url == watching
        expect(page.get_by_role("button", name="Log in")).to_have_count(0)
        assert page.locator("video").first.evaluate("v => v.currentTime") >= 5.0

        # One click each, answered by the survivor.
        page.get_by_role("link", name="← Back").click()
        expect(
            heading(page, "Long films"), "the first click after the reconnect was lost"
        ).to_be_visible()
        play(page, "Long run")
        expect(page.get_by_text(RESUMING)).to_be_visible()
        assert_resumed(page)
    finally:
        restart(cluster, victim)


def test_no_request_fails_while_haproxy_finds_out_a_replica_died(cluster, people):
    """A replica dies while someone is watching on the other one: until HAProxy's health
    checks notice (3 failed checks, 5 s apart), round-robin still sends every other request to
    the dead one. Those must be retried on the live replica, not answered 503."""
    person = people()
    page = person.page
    log_in(page, cluster.url)
    open_folder(page, "Summer 2023 #1")
    # The property is about the requests made after the death: none may be on its way then.
    person.traffic.wait_until_quiet(page)
    dead = cluster.other(cluster.websocket_server())
    dead.kill()
    unanswered = (
        f"HAProxy answered requests with errors while replica {dead.name} was dead "
        f"but not yet marked down (deploy/haproxy.cfg does not redispatch a refused "
        f"connection to another replica)"
    )
    try:
        # Clicks travel over the websocket, to the live replica; the video and then its
        # subtitles are two HTTP requests in a row: round-robin sends one of them to the dead one.
        play(page, "Beach day")
        wait_for_video(page, "v.currentTime > 1.5 || v.error !== null")
        assert person.traffic.unexpected() == [], unanswered
        page.locator("video").first.evaluate("v => { v.textTracks[0].mode = 'showing'; }")
        wait_for_video(
            page,
            "(v.textTracks[0].cues && v.textTracks[0].cues.length > 0)"
            " || v.querySelector('track').readyState === 3",
        )
        assert person.traffic.unexpected() == [], unanswered
        assert page.locator("video").first.evaluate("v => v.textTracks[0].cues.length") > 0
    finally:
        restart(cluster, dead)


# -- a cold replica ---------------------------------------------------------------------------
@pytest.fixture
def oci_bucket(library, tmp_path):
    """The test library in a bucket on the fake OCI server, and an OCI config for it."""
    with library_in_a_bucket(library, tmp_path / "oci", BUCKET) as running:
        yield running


def test_a_cold_replica_draws_a_folder_from_redis_without_listing_the_bucket(
    browser, oci_bucket, tmp_path
):
    server, config = oci_bucket
    redis_proc, redis_url = start_redis(tmp_path / "redis")
    # An hour's listing TTL, as an operator sets it for a library that changes by the day: the
    # default minute would make the measurement depend on how fast the cold replica boots.
    args = oci_app(
        server.endpoint,
        config,
        BUCKET,
        "--trusted_proxies",
        "127.0.0.1",
        "--redis-url",
        redis_url,
        "--cache_ttl_seconds",
        "3600",
    )
    warm, cold = Replica("warm", args), Replica("cold", args)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        warm.start()
        # Someone browses the library on the warm replica: every folder, "Home videos" last.
        page = context.new_page()
        log_in(page, warm.url)
        folders = ("Summer 2023 #1", "Long films", "Unsorted", "Home videos")
        for title in folders:
            open_folder(page, title)
        folder_url = urlsplit(page.url)
        warm.stop()  # from here on, every call the fake OCI server counts is the cold one's
        listed_by_warm = server.model.counts["ListObjects"]

        before_boot = server.model.counts
        cold.start()
        booted = server.model.counts
        # The same person (the login cookie is shared by every port of the host) opens the
        # same folder's URL on the cold replica.
        page.goto(cold.url + folder_url.path + "?" + folder_url.query)
        expect(heading(page, "Home videos")).to_be_visible()
        expect(page.get_by_role("link", name="Party #2 ?, play")).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        for title in folders:
            expect(sidebar.get_by_text(title, exact=True)).to_be_visible()
        # Every folder's count is drawn at once ("…" while a folder is still being listed).
        expect(sidebar.get_by_text("…", exact=True)).to_have_count(0)
        drawn = server.model.counts

        boot_calls = dict(booted - before_boot)
        page_calls = dict(drawn - booted)
        print(
            f"\ncold replica: warm replica listed {listed_by_warm} times; cold boot called "
            f"{boot_calls}; cold page view called {page_calls}"
        )
        # Every folder at least once ("Unsorted" is the root's own listing). This said "+ 1"
        # while the warm replica listed a folder twice (a click during background warming);
        # the catalog now shares that listing, so exactly one per folder is the usual count.
        assert listed_by_warm >= len(folders)
        assert boot_calls.get("ListObjects", 0) == 0, boot_calls
        assert page_calls.get("ListObjects", 0) == 0, (
            f"the cold replica listed the bucket again: {page_calls}"
        )
    finally:
        context.close()
        cold.stop()
        warm.stop()
        stop_redis(redis_proc)
