"""The figures /metrics shows, each counted where it happens: storage calls (real `oci` SDK
against the fake OCI server), playback grants, the cache (a real redis-server going away and
coming back), logins, and the /metrics route itself with its token."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core import services
from homemovies_core.cache import LocalCache
from homemovies_core.observability import metrics
from homemovies_core.oci.policy import CallPolicy
from homemovies_core.oci.storage import OciStorage
from homemovies_core.pars import PlaybackUrls
from homemovies_core.redis_cache import FailoverCache, RedisCache
from homemovies_core.storage.base import StorageError
from homemovies_core.storage.metered import MeteredStorage
from homemovies_core.ui.login_page import check_password
from homemovies_core.web import routes
from homemovies_core.web.observe import ROUTE_NAMES, route_name
from tests.support.accounts import PASSWORD, USER, built_services
from tests.support.metrics import Changes, value
from tests.support.oci_env import BUCKET, QUICK, oci_settings
from tests.support.redis_server import start_redis, stop

TOKEN = "9d2f4c8a1e7b3d6f0a5c2e8b4d1f7a3c9e6b0d2f5a8c1e4b7d0a3f6c9e2b5d8a"
HOUR = 3600.0


@pytest.fixture
def oci_storage(server, config_path):
    return MeteredStorage(
        OciStorage.from_settings(
            oci_settings(server.endpoint, config_path), policy=QUICK, background=QUICK
        )
    )


def test_storage_calls_are_counted_ok_error_and_timeout_apart(server, config_path, oci_storage):
    server.model.put_object(BUCKET, "A/clip.mp4", b"mp4")
    changes = Changes()
    oci_storage.list_level("A/")
    assert oci_storage.read_small("A/missing.jpg", 100) is None  # an answer, not a failure

    server.model.inject_fault("ListObjects", 500, count=None)
    with pytest.raises(StorageError):
        oci_storage.list_level("A/")
    server.model.clear_faults()

    impatient = CallPolicy(
        connect_timeout=1, read_timeout=0.3, max_attempts=1, total_seconds=0.2,
        base_sleep=0.01, max_sleep=0.01,
    )  # fmt: skip
    slow = MeteredStorage(
        OciStorage.from_settings(oci_settings(server.endpoint, config_path), policy=impatient)
    )
    server.model.inject_fault("CreatePreauthenticatedRequest", hang_seconds=1, count=1)
    with pytest.raises(StorageError):
        slow.grant("A/clip.mp4", prefix=False, expires_at=time.time() + HOUR)

    count = "hm_storage_requests_total"
    assert changes(count, op="list", outcome="ok") == 1
    assert changes(count, op="read", outcome="ok") == 1
    assert changes(count, op="list", outcome="error") == 1
    assert changes(count, op="grant", outcome="timeout") == 1
    assert changes(count, op="grant", outcome="error") == 0
    assert changes("hm_storage_request_duration_seconds_count", op="list") == 2
    # A call that timed out took at least the read timeout.
    assert changes("hm_storage_request_duration_seconds_sum", op="grant") >= 0.3


def test_the_app_measures_its_storage(tmp_path):
    built = built_services(tmp_path)
    changes = Changes()
    built.catalog.storage.list_level("")
    assert changes("hm_storage_requests_total", op="list", outcome="ok") == 1


def test_playback_grants_are_counted_issued_reused_and_failed(server, oci_storage):
    server.model.put_object(BUCKET, "A/clip.mp4", b"mp4")
    urls = PlaybackUrls(
        oci_storage, LocalCache(), ttl_seconds=6 * HOUR, min_remaining_seconds=3 * HOUR
    )
    changes = Changes()
    first = urls.grant("A/clip.mp4", prefix=False)
    assert urls.grant("A/clip.mp4", prefix=False) == first
    assert urls.grant("A/clip.mp4", prefix=False) == first
    server.model.inject_fault("CreatePreauthenticatedRequest", 403, count=None)
    with pytest.raises(StorageError):
        urls.grant("A/other.mp4", prefix=False)

    grants = "hm_playback_grants_total"
    assert (changes(grants, result="issued"), changes(grants, result="reused")) == (1, 2)
    assert changes(grants, result="failed") == 1


def test_cache_reads_errors_and_the_degraded_gauge_follow_redis(tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    cache = FailoverCache(RedisCache(url, timeout=0.5), retry_seconds=0)
    try:
        changes = Changes()
        cache.set("k", "v", 60)
        assert cache.get("k") == "v" and cache.get("nothing") is None
        assert cache.get_many(["k", "nothing", "none"]) == ["v", None, None]
        assert (changes("hm_cache_requests_total", result="hit"), value("hm_cache_degraded")) == (
            2,
            0,
        )
        assert changes("hm_cache_requests_total", result="miss") == 3

        stop(proc)
        assert cache.get("k") is None  # served from the fallback: a miss there
        assert changes("hm_cache_requests_total", result="error") == 1
        assert value("hm_cache_degraded") == 1

        proc, _ = start_redis(tmp_path / "redis", port=port)
        assert cache.ping()
        assert value("hm_cache_degraded") == 0
    finally:
        stop(proc)


def test_logins_are_counted_ok_wrong_and_throttled(tmp_path):
    built = built_services(tmp_path)
    changes = Changes()
    assert check_password(built, USER, PASSWORD, "203.0.113.7") is None
    for _ in range(built.throttles.login.max_failures):
        assert check_password(built, USER, "not it", "203.0.113.8") is not None
    assert "Too many" in check_password(built, USER, PASSWORD, "203.0.113.8")

    logins = "hm_logins_total"
    assert changes(logins, result="ok") == 1
    assert changes(logins, result="wrong") == built.throttles.login.max_failures
    assert changes(logins, result="throttled") == 1


def test_job_figures_are_declared_for_the_job_queue():
    metrics.record_job_queue(queued=3, running=1, failed=2, oldest_queued_seconds=95.0)
    changes = Changes()
    metrics.observe_job(42.0)
    assert [value("hm_jobs", state=s) for s in ("queued", "running", "failed")] == [3, 1, 2]
    assert value("hm_jobs_oldest_queued_seconds") == 95
    assert changes("hm_job_duration_seconds_sum") == 42


# -- GET /metrics -----------------------------------------------------------------------------


def _client(tmp_path, *flags: str) -> TestClient:
    built = built_services(tmp_path, *flags)
    services.install(built)
    return TestClient(Starlette(routes=routes.build(built), middleware=routes.middleware()))


@pytest.fixture
def metrics_client(tmp_path):
    (tmp_path / "token").write_text(TOKEN + "\n")
    yield _client(tmp_path, "--metrics_token_file", str(tmp_path / "token"))
    services.install(None)


def test_metrics_is_off_without_a_token(tmp_path):
    try:
        answer = _client(tmp_path).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        services.install(None)
    assert answer.status_code == 404 and "hm_" not in answer.text


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN.upper()}",
        "Bearer \u00e9" + TOKEN[1:],
    ],
)
def test_metrics_without_the_token_is_a_bare_401(metrics_client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.encode("latin-1")}
    answer = metrics_client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.text == "Unauthorized."


def test_metrics_with_the_token_shows_the_figures(metrics_client):
    metrics_client.get("/health")
    answer = metrics_client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'hm_http_request_duration_seconds_count{route="health",status="200"}' in answer.text
    for name in (
        "hm_script_run_duration_seconds", "hm_playback_grants_total", "hm_storage_requests_total",
        "hm_storage_request_duration_seconds", "hm_cache_requests_total", "hm_cache_degraded",
        "hm_sessions_active", "hm_logins_total", "hm_jobs", "hm_job_duration_seconds",
        "hm_jobs_oldest_queued_seconds",
    ):  # fmt: skip
        assert f"# HELP {name} " in answer.text, name


# -- route names ------------------------------------------------------------------------------


def test_every_route_of_ours_has_a_name_of_its_own(tmp_path):
    built = built_services(tmp_path, "--metrics_token", TOKEN)
    for route in routes.build(built):
        path = route.path.replace("{token}", "abc").replace("{name:path}", "a/b.mp4")
        path = path.replace("{path:path}", "x.js").replace("{id}", "abc")
        assert "{" not in path, route.path
        assert route_name(path) not in ("other", "page"), route.path


def test_route_names_come_from_a_fixed_set_never_from_the_path():
    for path in (
        "/_stcore/stream", "/_stcore/health", "/static/js/index.js", "/watch", "/",
        "/video/tok/Summer%202023/Beach.mp4", "/wp-admin/setup.php", "/Mum's videos",
        "/%2e%2e/etc/passwd", "/" + "x" * 5000, "/api/progress/extra", "",
    ):  # fmt: skip
        name = route_name(path)
        assert name in ROUTE_NAMES
    assert route_name("/video/tok/Summer%202023/Beach.mp4") == "video"
    assert route_name("/wp-admin/setup.php") == "other"
    assert route_name("/Mum's videos") == "other"
    assert route_name("/watch") == "page"
