"""Log lines an operator can use: one JSON object per line with the request's id on every line
about it, a request id believed only from a trusted proxy, users as a keyed hash, and each
script run timed per page (AppTest runs of the real Home.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from homemovies_core import settings
from homemovies_core.observability import context, logs
from homemovies_core.ui import observe
from homemovies_core.web import routes
from tests.support.accounts import COOKIE_KEY
from tests.support.apptest import app, logged_in
from tests.support.metrics import Changes

REQUIRED = {"time", "level", "event", "logger", "request_id", "replica"}
helper_log = logging.getLogger("homemovies.test")


@pytest.fixture
def log_lines():
    """Every line the process logs during the test, as the app would write it in JSON."""
    stream = io.StringIO()
    handler = logs.configure("json", stream=stream, replica="replica-1")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


async def _work(request):
    helper_log.info("on the event loop")
    await run_in_threadpool(helper_log.info, "in a thread")
    if request.query_params.get("fail"):
        raise RuntimeError("broken")
    return PlainTextResponse("done")


def _client(peer: str) -> TestClient:
    return TestClient(
        # Loopback is the proxy here, named as an operator would (nothing is trusted unnamed).
        Starlette(
            routes=[Route("/api/progress", _work)], middleware=routes.middleware(["127.0.0.1"])
        ),
        client=(peer, 40000),
        raise_server_exceptions=False,
    )


def test_every_line_about_a_request_carries_its_id(log_lines):
    answer = _client("203.0.113.9").get("/api/progress")
    request_id = answer.headers["X-Request-Id"]
    assert len(request_id) == 32

    lines = log_lines()
    assert all(REQUIRED <= line.keys() for line in lines), lines
    ours = [line for line in lines if line["request_id"] == request_id]
    assert [line["event"] for line in ours] == ["on the event loop", "in a thread", "request"]
    done = ours[-1]
    assert (done["route"], done["method"], done["status"]) == ("progress", "GET", 200)
    assert done["duration_ms"] >= 0 and done["replica"] == "replica-1"
    assert "/api/progress" not in json.dumps(lines)  # a route's name, never its path


def test_a_request_that_fails_is_a_500_on_its_line(log_lines):
    changes = Changes()
    answer = _client("203.0.113.9").get("/api/progress?fail=1")
    assert answer.status_code == 500
    done = [line for line in log_lines() if line["event"] == "request"][-1]
    assert done["status"] == 500 and done["request_id"] == answer.headers.get(
        "X-Request-Id", done["request_id"]
    )
    duration = "hm_http_request_duration_seconds_count"
    assert changes(duration, route="progress", status="500") == 1


def test_a_trusted_proxy_s_request_id_is_kept_and_anyone_else_s_replaced(log_lines):
    proxied = _client("127.0.0.1").get("/api/progress", headers={"X-Request-Id": "haproxy:42-a"})
    assert proxied.headers["X-Request-Id"] == "haproxy:42-a"
    forged = _client("203.0.113.9").get("/api/progress", headers={"X-Request-Id": "chosen-by-me"})
    assert forged.headers["X-Request-Id"] != "chosen-by-me"
    for odd in ("two words", "x" * 129, "line\\nbreak", "<script>"):
        answer = _client("127.0.0.1").get("/api/progress", headers={"X-Request-Id": odd})
        assert answer.headers["X-Request-Id"] != odd
    ids = {line["request_id"] for line in log_lines()}
    assert "haproxy:42-a" in ids and "chosen-by-me" not in ids


def test_text_lines_name_the_request_and_its_fields():
    stream = io.StringIO()
    handler = logs.configure("text", stream=stream)
    try:
        with context.bound(request_id="abc123", route="poster"):
            helper_log.info("request", extra={"status": 404, "duration_ms": 2.5})
        helper_log.warning("outside")
    finally:
        logging.getLogger().removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith(
        "homemovies.test [abc123] request route=poster status=404 duration_ms=2.5"
    )
    assert outside.endswith("WARNING homemovies.test [-] outside")


def test_a_user_is_a_keyed_hash_never_the_name():
    root = logging.getLogger()
    root.removeHandler(logs.configure("text", user_key=b"k" * 32))
    mum = logs.user_ref("Mum")
    assert mum == logs.user_ref(" mum ") and "mum" not in mum.lower()
    assert mum != logs.user_ref("dad")
    root.removeHandler(logs.configure("text", user_key=b"another key" * 3))
    assert logs.user_ref("Mum") != mum  # keyed: the hash of a guessed name is no match


@pytest.fixture
def streamlit_loggers():
    import streamlit.logger

    original = streamlit.logger.setup_formatter
    yield streamlit.logger.get_logger
    streamlit.logger.setup_formatter = original
    context.set_late_binder(None)


def test_streamlit_s_own_lines_are_json_lines_too(log_lines, streamlit_loggers):
    made_before = streamlit_loggers("streamlit.test_logs.before")
    observe.install(json_logs=True)
    made_after = streamlit_loggers("streamlit.test_logs.after")
    # Streamlit sets up uvicorn's loggers too; its access log (off) holds every URL.
    access = streamlit_loggers("uvicorn.test_logs.access")
    made_before.warning("from a logger made before start-up")
    made_after.warning("from a logger made after it")
    access.warning('"GET /shared?t=a-share-token HTTP/1.1" 200')
    events = [(line["logger"], line["event"]) for line in log_lines()]
    assert events == [
        ("streamlit.test_logs.before", "from a logger made before start-up"),
        ("streamlit.test_logs.after", "from a logger made after it"),
    ]


# -- settings ---------------------------------------------------------------------------------


def _load(*argv: str):
    return settings.load(list(argv), {}, [])


def test_log_format_and_metrics_token_are_checked_in_one_sentence(tmp_path):
    assert _load().log_format == "text" and _load().metrics_token is None
    with pytest.raises(settings.SettingsError, match=r"^--log_format must be text or json"):
        _load("--log_format", "yaml")
    with pytest.raises(settings.SettingsError, match=r"^--metrics_token is too short"):
        _load("--metrics_token", "short")
    with pytest.raises(settings.SettingsError, match="without spaces"):
        _load("--metrics_token", "a b" * 20)
    (tmp_path / "token").write_text(COOKIE_KEY + "\n")
    loaded = _load("--metrics_token_file", str(tmp_path / "token"))
    assert loaded.metrics_token == COOKIE_KEY and COOKIE_KEY not in repr(loaded)


# -- script runs (AppTest: the real Home.py) --------------------------------------------------


@pytest.fixture
def observed():
    observe.install()
    yield
    context.set_late_binder(None)


def test_a_script_run_is_timed_per_page_and_a_callback_logs_with_its_run_s_id(
    svc, log_lines, observed
):
    changes = Changes()
    at = app()
    at.run()
    at.text_input[0].input("mum")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert not at.exception
    logged_in()

    assert changes("hm_script_run_duration_seconds_count", page="login") == 2
    assert changes("hm_script_run_duration_seconds_count", page="home") == 1
    lines = log_lines()
    runs = [line for line in lines if line["event"] == "script run"]
    assert [run["page"] for run in runs] == ["login", "login", "home"]
    assert len({run["request_id"] for run in runs}) == 3
    # The form's callback ran before Home.py; its line has the id of the run it started.
    failed = next(line for line in lines if line["event"].startswith("Failed login"))
    assert failed["request_id"] == runs[1]["request_id"]
    # Who was logged in: a hash, never the name.
    assert "user" not in runs[0] and runs[2]["user"] == logs.user_ref("mum")
    assert "mum" not in json.dumps(lines).lower()
