"""Watch progress: the resume rule, signed tokens, storage, "Continue watching", the route."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core import services
from homemovies_core.cache import LocalCache
from homemovies_core.progress import Progress, ProgressStore, end_margin, resume_position
from homemovies_core.web import routes
from tests.support.accounts import built_services
from tests.support.clock import Clock

KEY = b"k" * 32


@pytest.mark.parametrize(
    "position, duration, start",
    [
        (0, 600, 0),
        (5, 600, 0),
        (5.5, 600, 5.5),  # more than 5 s in
        (569, 600, 569),
        (570, 600, 0),  # a 10-minute film: the last 30 s count as finished
        (7100, 7200, 7100),
        (7171, 7200, 0),  # 2 hours: still 30 s (5 % would be 6 minutes)
        (18.9, 20, 18.9),
        (19.1, 20, 0),  # a 20 s clip: the last 5 % (1 s), so it resumes
        (6, 4, 0),  # past the end
        (42, None, 42),  # duration unknown: resume
    ],
)
def test_resume_rule(position, duration, start):
    assert resume_position(Progress("v", position, duration, 0)) == start


def test_no_progress_starts_at_zero():
    assert resume_position(None) == 0
    assert end_margin(20) == 1.0 and end_margin(3600) == 30.0


def test_tokens_are_per_user_and_video_and_expire():
    clock = Clock()
    store = ProgressStore(LocalCache(), KEY, clock=clock)
    token = store.token("mum", "A/Beach day.mp4")
    assert store.verify(token) == ("mum", "A/Beach day.mp4")
    assert ProgressStore(LocalCache(), b"other" * 8, clock=clock).verify(token) is None
    body, mac = token.split(".")
    assert store.verify(body + "." + mac[:-2] + "AA") is None
    assert store.verify("garbage") is None
    clock.now += 8 * 3600 + 1
    assert store.verify(token) is None


def test_record_and_read_back_per_user():
    store = ProgressStore(LocalCache(), KEY)
    store.record("mum", "A/x.mp4", 42.123, 600)
    assert store.get("mum", "A/x.mp4").position == 42.12
    assert store.get("dad", "A/x.mp4") is None
    assert store.get("mum", "A/y.mp4") is None
    assert store.record("mum", "A/x.mp4", 700, 600).position == 600  # clamped to the end
    assert store.record("mum", "A/x.mp4", 10, float("inf")).duration is None
    for bad in (-1, float("nan"), "12", True, None, 10**400):  # 10**400: an OverflowError once
        with pytest.raises(ValueError):
            store.record("mum", "A/x.mp4", bad, 600)
    store.clear("mum", "A/x.mp4")
    assert store.get("mum", "A/x.mp4") is None


def test_keys_hold_no_names():
    cache = LocalCache()
    ProgressStore(cache, KEY).record("mum", "Summer/Beach day.mp4", 42, 600)
    keys = list(cache.scan("progress"))
    assert keys and not any("mum" in k or "Beach" in k for k in keys)


def test_continue_watching_most_recent_first_without_finished_or_barely_started():
    clock = Clock()
    store = ProgressStore(LocalCache(), KEY, clock=clock)
    for key, position in (("a", 100), ("b", 3), ("c", 599), ("d", 50), ("a", 120)):
        clock.now += 10
        store.record("mum", key, position, 600)
    assert [p.video_key for p in store.continue_watching("mum")] == ["a", "d"]
    assert store.continue_watching("mum", limit=1)[0].position == 120
    assert store.continue_watching("dad") == []


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    lib = tmp_path_factory.mktemp("progress-lib")
    built = built_services(lib)
    services.install(built)
    try:
        yield TestClient(Starlette(routes=routes.build(built))), built.progress
    finally:
        services.install(None)


def test_route_records_with_a_valid_token(client):
    http, store = client
    token = store.token("mum", "A/x.mp4")
    answer = http.post("/api/progress", json={"token": token, "position": 12.5, "duration": 60})
    assert answer.status_code == 204
    assert store.get("mum", "A/x.mp4").position == 12.5


@pytest.mark.parametrize(
    "body, status",
    [
        ({"token": "forged.token", "position": 5, "duration": 10}, 403),
        ({"position": 5}, 400),
        ([1, 2], 400),
        ("just a string", 400),
    ],
)
def test_route_refuses_bad_reports(client, body, status):
    http, _store = client
    assert http.post("/api/progress", json=body).status_code == status


def test_route_refuses_bad_numbers_and_big_bodies(client):
    http, store = client
    token = store.token("mum", "A/x.mp4")
    assert (
        http.post(
            "/api/progress", json={"token": token, "position": "x", "duration": 1}
        ).status_code
        == 400
    )
    assert http.post("/api/progress", content=b"{" + b" " * 5000 + b"}").status_code == 413
    assert http.post("/api/progress", content=b"not json").status_code == 400
    assert http.get("/api/progress").status_code == 405


def test_progress_on_redis_survives_a_new_store(tmp_path):
    from homemovies_core.redis_cache import FailoverCache, RedisCache
    from tests.support.redis_server import start_redis, stop

    proc, url = start_redis(tmp_path)
    try:
        ProgressStore(FailoverCache(RedisCache(url)), KEY).record("mum", "A/x.mp4", 42, 600)
        again = ProgressStore(FailoverCache(RedisCache(url)), KEY)  # another replica
        assert again.get("mum", "A/x.mp4").position == 42
        assert [p.video_key for p in again.continue_watching("mum")] == ["A/x.mp4"]
        assert again.cache.ttl(again._key("mum", "A/x.mp4")) > 179 * 24 * 3600
    finally:
        stop(proc)
