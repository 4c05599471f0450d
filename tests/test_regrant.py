"""A playback URL that died before it expired is replaced at once (POST /api/regrant).

An OCI PAR stops working when its creator is deleted, and the app's PARs are made by its
container instances, which every redeploy replaces. The fake OCI server's `revoke_par` makes
a PAR answer as such a PAR does (it stays listed; reads through it fail). First the route in
process, against the real `oci` SDK and the fake; then the player in Chromium, which reports
the dead URL, gets a new one and plays on from where it was: on the watch page (with the
login) and on a share link's page (with a token of that share, no login).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core import services, signing
from homemovies_core.encode import Rung, encode_hls
from homemovies_core.library import Kind
from homemovies_core.pars import PlaybackUrls
from homemovies_core.sessions import COOKIE_NAME
from homemovies_core.web import regrant_routes, routes
from tests.support.accounts import USER, family_login
from tests.support.browser import serving_app, wait_for_video
from tests.support.flows import heading, log_in_for_good, open_folder, play, settle
from tests.support.media import make_clip
from tests.support.oci_env import BUCKET, library_in_a_bucket, oci_app, oci_settings

REGRANT = "/api/regrant"
HOUR = 3600.0
CREATED = "CreatePreauthenticatedRequest"
FILES = {
    "Trip/Old.mp4": b"\x00" * 64,
    "Trip/Beach.mp4": b"\x00" * 64,
    "Trip/Young.mp4": b"\x00" * 64,
    "Trip/Party.hls/output.m3u8": b"#EXTM3U\n",
}


# -- the route, in process --------------------------------------------------------------------
@pytest.fixture
def viewer(server, config_path):
    """(http client logged in as USER, Services, {title: Video}) over FILES in the fake bucket."""
    for name, data in FILES.items():
        server.model.put_object(BUCKET, name, data)
    svc = services.build(
        oci_settings(server.endpoint, config_path, *family_login()), announce=lambda _m: None
    )
    http = TestClient(Starlette(routes=routes.build(svc), middleware=routes.middleware()))
    session = svc.sessions.start(USER, device="test", address="127.0.0.1", via="password")
    http.cookies.set(COOKIE_NAME, svc.sessions.cookie_value(session))
    videos = {v.title: v for v in svc.catalog.folder_view("Trip/").videos}
    yield http, svc, videos
    http.close()


def _report(http, svc, video, src, user=USER):
    return http.post(REGRANT, json={"token": svc.progress.token(user, video.key), "src": src})


def _works(url: str) -> bool:
    return httpx.get(url, headers={"Range": "bytes=0-0"}).status_code in (200, 206)


def test_a_dead_par_is_replaced_once_and_its_replicas_other_grants_go_with_it(viewer, server):
    http, svc, videos = viewer
    # A replica that went away made these two; a live one, sharing the cache, made Young.
    gone = PlaybackUrls(svc.storage, svc.cache, ttl_seconds=6 * HOUR, min_remaining_seconds=HOUR)
    old_src = gone.video_url(videos["Old"])
    dead_src = gone.video_url(videos["Beach"])
    young_src = svc.urls.video_url(videos["Young"])
    for par in server.model.pars(BUCKET):
        if par.object_name in ("Trip/Old.mp4", "Trip/Beach.mp4"):
            server.model.revoke_par(par.id)
    assert not _works(dead_src) and not _works(old_src) and _works(young_src)
    created = server.model.counts[CREATED]

    answer = _report(http, svc, videos["Beach"], dead_src)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    new_src = answer.json()["src"]
    assert new_src != dead_src and _works(new_src)
    assert server.model.counts[CREATED] == created + 1
    # Every viewer gets the new URL now; a page drawn before reports the dead one and gets
    # the new one too, without another check or another PAR.
    assert svc.urls.video_url(videos["Beach"]) == new_src
    gets = server.model.counts["ParGet"]
    assert _report(http, svc, videos["Beach"], dead_src).json() == {"src": new_src}
    assert server.model.counts["ParGet"] == gets and server.model.counts[CREATED] == created + 1
    # The other grant of the replica that went away is forgotten (it died with the same
    # creator); the live replica's is kept.
    assert svc.urls.video_url(videos["Old"]) != old_src
    assert _works(svc.urls.video_url(videos["Old"]))
    assert svc.urls.video_url(videos["Young"]) == young_src


def test_an_hls_folders_dead_grant_is_replaced_with_its_playlist_url(viewer, server):
    http, svc, videos = viewer
    party = videos["Party"]
    assert party.kind is Kind.HLS
    dead_src = svc.urls.video_url(party)
    for par in server.model.pars(BUCKET):
        server.model.revoke_par(par.id)
    answer = _report(http, svc, party, dead_src)
    assert answer.status_code == 200
    new_src = answer.json()["src"]
    assert new_src.endswith("/o/Trip/Party.hls/output.m3u8") and new_src != dead_src
    assert httpx.get(new_src).text == "#EXTM3U\n"


def test_a_working_url_is_checked_at_most_once_and_never_replaced(viewer, server):
    http, svc, videos = viewer
    src = svc.urls.video_url(videos["Beach"])
    gets, created = server.model.counts["ParGet"], server.model.counts[CREATED]
    first = _report(http, svc, videos["Beach"], src)
    second = _report(http, svc, videos["Beach"], src)  # a viewer hammering the route
    assert (first.status_code, second.status_code) == (409, 409)
    assert "works" in first.json()["error"] and "moments ago" in second.json()["error"]
    assert server.model.counts["ParGet"] == gets + 1  # one ranged GET, then none
    assert server.model.counts[CREATED] == created
    assert svc.urls.video_url(videos["Beach"]) == src


def test_a_url_that_is_not_the_current_one_is_never_fetched(viewer, server):
    http, svc, videos = viewer
    src = svc.urls.video_url(videos["Beach"])
    gets = server.model.counts["ParGet"]
    for elsewhere in ("http://169.254.169.254/opc/v2/", src + "x", ""):
        answer = _report(http, svc, videos["Beach"], elsewhere)
        assert answer.status_code == 200 and answer.json() == {"src": src}
    assert server.model.counts["ParGet"] == gets


def test_only_the_viewer_the_page_was_drawn_for_may_ask(viewer):
    http, svc, videos = viewer
    beach = videos["Beach"]
    src = svc.urls.video_url(beach)
    token = svc.progress.token(USER, beach.key)
    assert _report(http, svc, beach, src, user="dad").status_code == 403  # not this session's
    assert http.post(REGRANT, json={"token": "forged.token", "src": src}).status_code == 403
    assert http.post(REGRANT, json={"token": None, "src": src}).status_code == 403
    assert http.post(REGRANT, json={"token": token, "src": 1}).status_code == 400
    assert http.post(REGRANT, json=[token, src]).status_code == 400
    assert http.post(REGRANT, content=b"[" * 3000 + b"]" * 3000).status_code == 400
    assert http.post(REGRANT, content=b"x" * 9000).status_code == 413
    http.cookies.clear()  # logged out: the page's token alone is not enough
    assert http.post(REGRANT, json={"token": token, "src": src}).status_code == 403
    assert http.get(REGRANT).status_code == 405


def _shared(svc, video):
    """A share link of `video` and the token its page gives the player."""
    _token, share = svc.shares.create(video, owner=USER, lifetime=HOUR)
    return share, regrant_routes.share_token(svc, share)


def test_a_share_links_player_gets_a_new_url_without_a_login(viewer, server):
    http, svc, videos = viewer
    http.cookies.clear()  # a stranger with the link
    share, token = _shared(svc, videos["Beach"])
    dead_src = svc.urls.video_url(videos["Beach"])
    for par in server.model.pars(BUCKET):
        server.model.revoke_par(par.id)
    created = server.model.counts[CREATED]
    answer = http.post(REGRANT, json={"token": token, "src": dead_src})
    assert answer.status_code == 200
    new_src = answer.json()["src"]
    assert new_src != dead_src and _works(new_src)
    assert server.model.counts[CREATED] == created + 1
    # The same check and limit as for the family: a URL that works is not replaced.
    again = http.post(REGRANT, json={"token": token, "src": new_src})
    assert again.status_code == 409 and "works" in again.json()["error"]
    assert svc.urls.video_url(videos["Beach"]) == new_src


def test_a_share_token_renews_its_own_video_only_and_only_while_the_share_lasts(viewer):
    http, svc, videos = viewer
    http.cookies.clear()
    share, token = _shared(svc, videos["Beach"])
    src = svc.urls.video_url(videos["Beach"])

    def asks(token: object, src: str = src) -> int:
        return http.post(REGRANT, json={"token": token, "src": src}).status_code

    key = svc.key(regrant_routes.SHARE_PURPOSE)
    other = signing.sign(key, {"s": share.id, "v": videos["Old"].key}, share.expires)
    assert asks(other, svc.urls.video_url(videos["Old"])) == 403  # not the share's video
    assert asks(signing.sign(svc.key("progress"), {"s": share.id, "v": share.video_key},
                             share.expires)) == 403  # fmt: skip
    assert asks(token[:-2] + "AA") == 403
    ended = dataclasses.replace(share, expires=time.time() - 1)
    assert asks(regrant_routes.share_token(svc, ended)) == 403  # the link has expired
    assert asks(token) == 409  # the genuine one: its URL works
    svc.shares.revoke(share.id)
    assert asks(token) == 403  # withdrawn: its page's player may ask no more


# -- the player, in Chromium ------------------------------------------------------------------
@pytest.fixture(scope="module")
def fake_oci(library_dir, tmp_path_factory):
    with library_in_a_bucket(library_dir, tmp_path_factory.mktemp("oci"), BUCKET) as running:
        server, _config = running
        # Long enough to resume in (RESUME_AFTER, END_SECONDS: progress.py), small and quick.
        made = tmp_path_factory.mktemp("long")
        walk = make_clip(made / "Long walk.mp4", 60, "160x120")
        talk = made / "Long talk.hls"
        encode_hls(walk, talk, (Rung(120, 150, 32),), segment_seconds=2, preset="ultrafast")
        server.model.put_object(BUCKET, "Long/Long walk.mp4", walk.read_bytes())
        for path in sorted(p for p in talk.rglob("*") if p.is_file()):
            inside = path.relative_to(talk)
            # Twice: one film per player engine, so neither starts where the other stopped.
            for name in ("Long talk", "Long chat"):
                server.model.put_object(BUCKET, f"Long/{name}.hls/{inside}", path.read_bytes())
        yield running


@pytest.fixture(scope="module")
def oci_app_url(fake_oci):
    server, config = fake_oci
    with serving_app(oci_app(server.endpoint, config, BUCKET)) as url:
        yield url


def _viewer(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    asked = []
    page.on("response", lambda r: r.url.endswith(REGRANT) and asked.append(r.status))
    page.goto(url)
    log_in_for_good(page)
    return context, page, asked


def _redeploy(server) -> None:
    """Every PAR the app has made stops working, as when its container instances are replaced."""
    for par in server.model.pars(BUCKET):
        server.model.revoke_par(par.id)


def test_a_viewer_resumes_where_they_were_after_the_cached_par_died(browser, oci_app_url, fake_oci):
    server, _ = fake_oci
    context, page, asked = _viewer(browser, oci_app_url)
    open_folder(page, "Long")
    play(page, "Long walk")
    wait_for_video(page, "v.currentTime > 0.5")
    dead_src = page.locator("video").first.evaluate("v => v.currentSrc")
    with page.expect_response(lambda r: r.url.endswith("/api/progress") and r.status == 204):
        page.locator("video").first.evaluate("v => { v.currentTime = 20; v.pause(); }")
    assert asked == []  # a working URL is never reported
    context.close()

    _redeploy(server)
    assert httpx.get(dead_src).status_code == 404
    context, page, asked = _viewer(browser, oci_app_url)
    open_folder(page, "Long")
    play(page, "Long walk")
    expect(page.get_by_text("Resuming at")).to_be_visible()
    wait_for_video(page, "v.dataset.renewed === '1' && v.currentTime > 20.5 && !v.paused")
    video = page.locator("video").first
    src = video.evaluate("v => v.currentSrc")
    assert src != dead_src and urlsplit(src).netloc == urlsplit(server.endpoint).netloc
    assert video.get_attribute("data-error") is None and asked == [200]
    context.close()


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_hls_plays_on_a_new_grant_after_the_cached_one_died(browser, oci_app_url, fake_oci, engine):
    server, _ = fake_oci
    context, page, _asked = _viewer(browser, oci_app_url)
    open_folder(page, "Home videos")
    play(page, "Party #2 ?")
    wait_for_video(page, "v.currentTime > 0.5", timeout=40)  # the folder's grant is cached
    watch_url = page.url + ("&engine=hlsjs" if engine == "hlsjs" else "")
    context.close()

    _redeploy(server)
    created = server.model.counts[CREATED]
    context, page, asked = _viewer(browser, oci_app_url)
    page.goto(watch_url)  # straight to the player, so the chosen engine meets the dead URL
    expect(heading(page, "Party #2 ?")).to_be_visible()
    wait_for_video(page, "v.dataset.renewed === '1' && v.currentTime > 1.5", timeout=40)
    video = page.locator("video").first
    assert video.get_attribute("data-engine") == engine and asked == [200]
    assert video.get_attribute("data-error") is None
    assert server.model.counts[CREATED] >= created + 1
    context.close()


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_a_url_that_dies_mid_film_is_renewed_where_the_viewer_was(
    browser, oci_app_url, fake_oci, engine
):
    server, _ = fake_oci
    film = {"native": "Long talk", "hlsjs": "Long chat"}[engine]
    # The film's last 20 s (segments 20-29, of 2 s) wait until every URL has died, so the
    # seek to 50 s meets a dead URL. (A player buffers a film this small whole: on a loaded
    # machine it once had all of it before the URLs died, the seek played from its buffer,
    # the film ended and no URL was renewed.)
    urls_dead = threading.Event()

    def hold_the_end(_operation: str, path: str) -> None:
        if re.search(r"/seg000(2\d)\.ts$", path):
            urls_dead.wait(60)

    server.model.before_request = hold_the_end
    try:
        context, page, asked = _viewer(browser, oci_app_url)
        open_folder(page, "Long")
        play(page, film)
        if engine == "hlsjs":
            page.goto(page.url + "&engine=hlsjs")
            expect(heading(page, film)).to_be_visible()
        wait_for_video(page, "v.currentTime > 0.5", timeout=40)
        _redeploy(server)  # while the film plays
        page.locator("video").first.evaluate("v => { v.currentTime = 50; }")
        urls_dead.set()  # what the player asks for from now on is refused: 404
        wait_for_video(page, "v.dataset.renewed === '1' && v.currentTime > 50.5", timeout=40)
        video = page.locator("video").first
        assert video.get_attribute("data-engine") == engine and asked == [200]
        assert video.get_attribute("data-error") is None
        context.close()
    finally:
        urls_dead.set()
        server.model.before_request = None


def test_a_share_links_player_plays_on_a_new_url_after_the_cached_one_died(
    browser, oci_app_url, fake_oci
):
    server, _ = fake_oci
    owner, page, _asked = _viewer(browser, oci_app_url)
    open_folder(page, "Long")
    play(page, "Long walk")
    page.get_by_role("button", name=re.compile("Share")).click()
    page.get_by_role("button", name="Create link").click()
    settle(page)
    link = page.get_by_test_id("stCode").first.inner_text().strip()
    owner.close()

    _redeploy(server)
    stranger = browser.new_context(viewport={"width": 1280, "height": 900})
    page = stranger.new_page()
    asked = []
    page.on("response", lambda r: r.url.endswith(REGRANT) and asked.append(r.status))
    page.goto(link)
    expect(heading(page, "Long walk")).to_be_visible(timeout=20_000)
    wait_for_video(page, "v.dataset.renewed === '1' && v.currentTime > 1.5 && !v.paused")
    video = page.locator("video").first
    assert video.get_attribute("data-error") is None and asked == [200]
    assert COOKIE_NAME not in {c["name"] for c in stranger.cookies()}  # nobody logged in
    stranger.close()
