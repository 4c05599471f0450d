"""`/poster/<token>`: card thumbnails, made once per process and then answered from memory."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from homemovies_core import services
from homemovies_core.web import poster_routes, routes
from tests.support.accounts import USER, built_services


def _jpeg(color: str, size=(1200, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def app(tmp_path):
    folder = tmp_path / "Family"
    folder.mkdir()
    (folder / "Trip.mp4").write_bytes(b"\x00" * 64)
    (folder / "Trip.jpg").write_bytes(_jpeg("red"))
    built = built_services(tmp_path)
    services.install(built)
    try:
        yield TestClient(Starlette(routes=routes.build(built))), built
    finally:
        services.install(None)


def _pixel(body: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(body)) as image:
        assert max(image.size) <= 640  # a thumbnail, not the 1200-pixel original
        return image.convert("RGB").getpixel((10, 10))


def test_a_poster_is_made_once_then_served_from_memory(app, tmp_path):
    http, svc = app
    url = poster_routes.poster_url(svc, "Family/Trip.jpg", user=USER)
    first = http.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert _pixel(first.content)[0] > 200  # red

    # The file changes on disk; this process already made its thumbnail and keeps it.
    (tmp_path / "Family" / "Trip.jpg").write_bytes(_jpeg("blue"))
    again = http.get(url)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["cache-control"] == "private, max-age=86400"


def test_a_forged_or_missing_poster_is_refused(app):
    http, svc = app
    url = poster_routes.poster_url(svc, "Family/Trip.jpg", user=USER)
    assert http.get(url[:-3] + "abc").status_code == 403
    assert http.get(poster_routes.poster_url(svc, "Family/None.jpg", user=USER)).status_code == 404
