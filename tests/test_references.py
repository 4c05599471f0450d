"""What a movie's playlists and thumbnails index may point at (references.py): relative URLs
inside its folder, whatever the encoding tricks (issue 16, finding 11)."""

from __future__ import annotations

import shutil

import pytest

from homemovies_core.cache import LocalCache
from homemovies_core.library import Kind, Video
from homemovies_core.references import (
    OUTSIDE,
    ReferenceCheck,
    inside,
    playlist_outside,
    thumbnails_outside,
)
from homemovies_core.storage.local import LocalStorage

PARTY = "Home videos/Party #2 ?.hls/"
MEDIA = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{}\n#EXT-X-ENDLIST\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n{}#xywh=0,0,160,90\n"


@pytest.mark.parametrize(
    "uri", ["seg00000.ts", "v0/index.m3u8", "a%20b.ts", "x/../y.ts", "seg.ts?v=1"]
)
def test_relative_urls_inside_the_folder_are_fine(uri):
    assert inside(uri, "output.m3u8")


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example/seg.ts",
        "//evil.example/seg.ts",
        "HTTP://evil.example/x",
        "data:video/mp2t;base64,AAAA",
        "javascript:alert(1)",
        "/video/token/seg.ts",
        "../Other.hls/seg.ts",
        "%2e%2e/Other.hls/seg.ts",
        "..%2f..%2fsecret.ts",
        "..\\seg.ts",
        "\\\\evil.example\\x",
        " https://evil.example/x",
        "seg.ts\nhttps://evil.example",
        "",
    ],
)
def test_anything_else_is_outside(uri):
    assert not inside(uri, "output.m3u8")


def test_a_variant_may_climb_to_its_folder_but_not_out_of_it():
    assert inside("../v1/seg.ts", "v0/index.m3u8")
    assert not inside("../../Other.hls/seg.ts", "v0/index.m3u8")


@pytest.mark.parametrize(
    "text",
    [
        MEDIA.format("https://evil.example/seg.ts"),
        MEDIA.replace("#EXTINF", '#EXT-X-KEY:METHOD=AES-128,URI="https://evil.example/k"\n#EXTINF'),
        MEDIA.replace("#EXTINF", '#EXT-X-MAP:URI="//evil.example/init.mp4"\n#EXTINF'),
        '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="https://evil.example/a.m3u8"\n',
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttps://evil.example/v.m3u8\n",
        # A tag the parser does not know still cannot carry a URL past it.
        '#EXTM3U\n#EXT-X-DATERANGE:ID="ad",START-DATE="2024-01-01T00:00:00Z",'
        'X-ASSET-URI="https://evil.example/ad.m3u8"\n',
    ],
)
def test_playlists_naming_outside_urls_are_caught(text):
    assert playlist_outside(text.replace("{}", "seg.ts"), "output.m3u8") is not None


def test_the_playlists_ingest_writes_are_fine(library_dir):
    folder = library_dir / PARTY
    assert playlist_outside((folder / "output.m3u8").read_text(), "output.m3u8") is None
    assert playlist_outside((folder / "v0/index.m3u8").read_text(), "v0/index.m3u8") is None
    assert thumbnails_outside(VTT.format("thumbs-0001.jpg")) is None


@pytest.mark.parametrize(
    "sprite", ["https://evil.example/s.jpg", "//evil.example/s.jpg", "../Other.hls/s.jpg"]
)
def test_thumbnails_naming_outside_urls_are_caught(sprite):
    assert thumbnails_outside(VTT.format(sprite)) is not None


@pytest.fixture
def planted(tmp_path, library_dir):
    """Copies of the party movie: one as made, one with a variant playlist planted to fetch
    its segments elsewhere and a thumbnails index with an outside sprite."""
    shutil.copytree(library_dir / PARTY, tmp_path / "A" / "Good.hls")
    shutil.copytree(library_dir / PARTY, tmp_path / "A" / "Bad.hls")
    (tmp_path / "A/Bad.hls/v1/index.m3u8").write_text(MEDIA.format("https://evil.example/s.ts"))
    (tmp_path / "A/Bad.hls/thumbnails.vtt").write_text(VTT.format("https://evil.example/s.jpg"))
    (tmp_path / "A/Good.hls/thumbnails.vtt").write_text(VTT.format("thumbs-0001.jpg"))
    return ReferenceCheck(LocalStorage(tmp_path, b"k" * 32), LocalCache())


def movie(key: str) -> Video:
    return Video(key=key, folder="A/", title="x", kind=Kind.HLS, badge="HLS")


def test_a_movie_with_a_planted_variant_is_not_played(planted):
    assert planted.playlist_problem(movie("A/Good.hls/")) is None
    assert planted.playlist_problem(movie("A/Bad.hls/")) == OUTSIDE
    assert planted.thumbnails_ok(movie("A/Good.hls/"), "A/Good.hls/thumbnails.vtt")
    assert not planted.thumbnails_ok(movie("A/Bad.hls/"), "A/Bad.hls/thumbnails.vtt")
    progressive = Video(key="A/x.mp4", folder="A/", title="x", kind=Kind.PROGRESSIVE, badge="MP4")
    assert planted.playlist_problem(progressive) is None


@pytest.fixture
def planted_app(tmp_path, library_dir):
    """The app's services on a library with the planted movies above, for AppTest runs."""
    from homemovies_core import services
    from tests.support.accounts import built_services

    root = tmp_path / "lib"
    shutil.copytree(library_dir, root)
    for name, sprite in (("Good", "thumbs-0001.jpg"), ("Bad", "https://evil.example/s.jpg")):
        shutil.copytree(library_dir / PARTY, root / "A" / f"{name}.hls")
        (root / "A" / f"{name}.hls" / "thumbnails.vtt").write_text(VTT.format(sprite))
    services.install(built_services(root))
    yield
    services.install(None)


def player_data(key: str) -> dict | None:
    import json

    from tests.support.apptest import logged_in

    at = logged_in()
    at.switch_page("pages/watch.py")
    at.query_params["v"] = key
    at.run()
    found = [
        json.loads(e.proto.json)
        for e in at.main
        if getattr(getattr(e, "proto", None), "component_name", "") == "homemovies.player"
    ]
    return found[0] if found else None


def test_the_player_gets_no_seek_previews_from_a_planted_index(planted_app):
    assert player_data("A/Good.hls/")["thumbnails"]
    assert player_data("A/Bad.hls/")["thumbnails"] is None
