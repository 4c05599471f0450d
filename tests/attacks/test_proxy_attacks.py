"""Who the client is, and whether it came over HTTPS (issue 16, findings 4, 5, 7 and 12), in the
shipped deployment: the real app behind the real HAProxy running deploy/haproxy.cfg, behind a
TLS proxy on the host (tests/support/edge_proxy.py), and the app alone on loopback.

A lockout is what a person notices: clients that the app takes for one address share it.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import local_app
from tests.support.browser import serving_app
from tests.support.cluster import HAPROXY_CFG, running_cluster
from tests.support.edge_proxy import STRANGER, edge_proxy
from tests.support.flows import log_in, log_in_for_good, settle
from tests.support.websocket import open_stream

# Where the host's TLS proxy saw each client.
CLIENTS = {"a": "198.51.100.1", "b": "198.51.100.2", "c": "198.51.100.3"}
HSTS = "strict-transport-security"


@pytest.fixture(scope="module")
def edge(tmp_path_factory, library_dir):
    directory = tmp_path_factory.mktemp("proxies")
    # Replicas believe HAProxy only, which connects to them from 127.0.0.1 here.
    args = local_app(library_dir, "--trusted_proxies", "127.0.0.1")
    with running_cluster(directory / "cluster", args, names=("a",)) as cluster:
        with edge_proxy(directory / "edge", cluster.port, CLIENTS) as proxies:
            yield cluster, proxies


@pytest.fixture(scope="module")
def lone_app(library_dir):
    """The app with no --trusted_proxies, reached over loopback."""
    with serving_app(local_app(library_dir)) as url:
        yield url


def open_page(browser, url: str, **options) -> Page:
    page = browser.new_context(**options).new_page()
    page.goto(url)
    return page


def fail_until_locked_out(page: Page) -> None:
    for left in (4, 3, 2, 1):
        log_in(page, "guess")
        expect(page.get_by_text(re.compile(f"{left} more tr"))).to_be_visible()
    log_in(page, "guess")
    expect(page.get_by_text(re.compile("must now wait"))).to_be_visible()


def test_clients_behind_the_host_tls_proxy_keep_their_own_addresses(browser, edge):
    """HAProxy used to append the host proxy's own address: every client was one address,
    and one stranger's failures locked everyone out."""
    _, proxies = edge
    stranger = open_page(browser, proxies.via_host_proxy["a"])
    fail_until_locked_out(stranger)
    family = open_page(browser, proxies.via_host_proxy["b"])
    log_in(family, "guess")
    expect(family.get_by_text(re.compile("4 more tries"))).to_be_visible()
    for page in (stranger, family):
        page.context.close()


def test_the_host_proxys_https_and_address_reach_the_app(browser, edge):
    """HAProxy overwrote X-Forwarded-Proto with http: the login cookie was never Secure."""
    _, proxies = edge
    url = proxies.via_host_proxy["c"]
    assert httpx.get(url + "/health").headers[HSTS].startswith("max-age=")
    page = open_page(browser, url)
    with page.expect_response(lambda r: r.url.endswith("/auth/session")) as handed:
        log_in_for_good(page)
    assert "secure" in (handed.value.header_value("set-cookie") or "").lower()
    page.goto(url + "/devices")
    settle(page)
    expect(page.get_by_text(re.compile(r"from 198\.51\.100\.3 ·"))).to_be_visible()
    page.context.close()


def test_a_stranger_reaching_haproxy_directly_forges_nothing(browser, edge):
    cluster, proxies = edge
    forged = {"X-Forwarded-For": "198.51.100.2", "X-Forwarded-Proto": "https"}
    with httpx.Client(transport=httpx.HTTPTransport(local_address=STRANGER)) as client:
        assert HSTS not in client.get(cluster.url + "/health", headers=forged).headers
    page = open_page(browser, proxies.direct, extra_http_headers=forged)
    log_in_for_good(page)
    page.goto(proxies.direct + "/devices")
    settle(page)
    expect(page.get_by_text(re.compile(rf"from {re.escape(STRANGER)} ·"))).to_be_visible()
    assert page.get_by_text(re.compile(r"from 198\.51\.100\.2 ·")).count() == 0
    page.context.close()


def test_loopback_is_not_a_proxy_unless_named(browser, lone_app):
    """Finding 5: the app and uvicorn believed X-Forwarded-For from loopback, so behind a
    same-host forwarder (ssh -R, socat) a client chose its address with its own header."""
    assert (
        HSTS not in httpx.get(lone_app + "/health", headers={"X-Forwarded-Proto": "https"}).headers
    )
    first = open_page(browser, lone_app, extra_http_headers={"X-Forwarded-For": "203.0.113.1"})
    fail_until_locked_out(first)
    second = open_page(browser, lone_app, extra_http_headers={"X-Forwarded-For": "203.0.113.2"})
    log_in(second, "guess")
    expect(second.get_by_text(re.compile("Too many failed attempts"))).to_be_visible()
    for page in (first, second):
        page.context.close()


def test_proxy_logs_carry_no_tokens_or_titles(edge):
    """Finding 7: HAProxy logged whole request lines, share and playback tokens included."""
    cluster, proxies = edge
    secret = "s3cretT0ken"
    for path in (
        f"/shared?t={secret}",
        f"/video/{secret}/Beach%20day.mp4",
        f"/poster/{secret}",
        "/watch?v=Summer%202023%20%231%2FBeach%20day.mp4",
        f"/pair?code={secret}",
    ):
        httpx.get(proxies.via_host_proxy["a"] + path)
    logged = [s.path for s in cluster.served()]
    assert {"/shared", "/video/-", "/poster/-", "/watch", "/pair"} <= set(logged)
    text = cluster.log_path.read_text(encoding="utf-8", errors="replace")
    assert secret not in text and "Beach" not in text


def test_one_client_cannot_hold_all_of_haproxys_connections(edge):
    """Finding 12: with `maxconn 4096` and websockets kept for 12 hours, one stranger could
    starve everyone. Now HAProxy caps connections per client (IPv6 per /64)."""
    cluster, proxies = edge
    cap = int(re.search(r"sc0_conn_cur gt (\d+)", HAPROXY_CFG.read_text())[1])
    held = [open_stream(cluster.url, source=STRANGER) for _ in range(cap)]
    try:
        with httpx.Client(transport=httpx.HTTPTransport(local_address=STRANGER)) as client:
            assert client.get(cluster.url + "/health").status_code == 429
        assert httpx.get(proxies.via_host_proxy["b"] + "/health").status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_haproxy_makes_the_request_id_the_app_logs_and_returns(edge):
    """One id per request, made by HAProxy (a client's own is replaced), returned by the app
    and written on HAProxy's log line, so the operator finds both sides of one request."""
    cluster, proxies = edge
    forged = "forged-id-0123456789"
    answer = httpx.get(proxies.via_host_proxy["a"] + "/health", headers={"X-Request-Id": forged})
    made = answer.headers.get("x-request-id", "")
    assert answer.status_code == 200 and made and made != forged
    assert made in cluster.log_path.read_text(encoding="utf-8", errors="replace")


def test_streamlits_unauthenticated_metrics_are_not_served_through_haproxy(edge):
    cluster, proxies = edge
    assert httpx.get(proxies.via_host_proxy["a"] + "/_stcore/metrics").status_code == 404
    assert httpx.get(proxies.via_host_proxy["a"] + "/health").status_code == 200
