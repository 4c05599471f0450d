"""The browser scripts (hls.js, tus-js-client): one copy read and gzipped at start-up, the
right one for each browser, cacheable, and the same script either way."""

from __future__ import annotations

import gzip

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core.web.script_asset import accepts_gzip, script_route


@pytest.fixture
def client(tmp_path):
    script = tmp_path / "lib.min.js"
    script.write_text("window.Lib = function () { return 'é'; };\n" * 500)
    app = Starlette(routes=[script_route("/lib.min.js", script)])
    with TestClient(app) as test_client:
        yield test_client, script.read_bytes()


def raw_get(test_client, **headers) -> httpx.Response:
    """The answer's bytes as sent, not decoded (httpx would undo the gzip)."""
    with test_client.stream("GET", "/lib.min.js", headers=headers) as answer:
        answer.body = b"".join(answer.iter_raw())
        return answer


def test_a_browser_that_takes_gzip_gets_the_same_script_smaller(client):
    test_client, script = client
    answer = raw_get(test_client, **{"accept-encoding": "gzip, deflate, br, zstd"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "Accept-Encoding" in answer.headers["vary"]
    assert len(answer.body) < len(script) / 5
    assert gzip.decompress(answer.body) == script


@pytest.mark.parametrize("accept", ["", "identity", "br", "gzip;q=0", "gzip; q=0.0, br"])
def test_a_browser_that_does_not_take_gzip_gets_it_plain(client, accept):
    test_client, script = client
    answer = raw_get(test_client, **{"accept-encoding": accept})
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert answer.body == script


def test_a_browser_that_has_it_is_told_so_without_the_bytes(client):
    test_client, _script = client
    first = raw_get(test_client, **{"accept-encoding": "gzip"})
    assert "immutable" in first.headers["cache-control"]
    again = raw_get(
        test_client,
        **{"accept-encoding": "gzip", "if-none-match": f'"x", {first.headers["etag"]}'},
    )
    assert again.status_code == 304
    assert again.body == b""
    other = raw_get(test_client, **{"if-none-match": '"not-it"'})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=abc", False),
        ("deflate", False),
        ("br, " * 1000 + "gzip", False),
    ],  # fmt: skip
)
def test_accept_encoding_is_read_as_http_says_and_no_further_than_it_needs(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok
