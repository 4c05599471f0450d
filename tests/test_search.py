"""Search: normalisation, word-prefix matching, and searching the catalog's cached listings."""

from __future__ import annotations

import threading
import time

import pytest

from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.formatting import plain
from homemovies_core.library import Kind, Video
from homemovies_core.search import matches, search, words
from homemovies_core.storage.local import LocalStorage
from tests.support.apptest import cards, logged_in


def video(title: str, folder: str = "F/") -> Video:
    return Video(
        key=f"{folder}{title}.mp4", folder=folder, title=title, kind=Kind.PROGRESSIVE, badge="MP4"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ünïcode café", ("unicode", "cafe")),
        ("Party #2 ?", ("party", "2")),
        ("odd+name%20", ("odd", "name", "20")),
        ("beach_day.2023", ("beach", "day", "2023")),
        ("STRASSE Straße", ("strasse", "strasse")),
        ("  ", ()),
        ("誕生日 パーティー", ("誕生日", "ハーティー")),  # NFKD splits the handakuten off パ
    ],
)
def test_words_are_folded(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize(
    "query, title, hit",
    [
        ("caf", "Ünïcode café", True),
        ("CAFÉ", "Ünïcode café", True),
        ("uni caf", "Ünïcode café", True),
        ("afe", "Ünïcode café", False),  # prefixes of words, not substrings
        ("party 2", "Party #2 ?", True),
        ("#2", "Party #2 ?", True),
        ("party 3", "Party #2 ?", False),
        ("beach sea", "Beach day", False),  # every word must match
        ("", "Beach day", False),
    ],
)
def test_word_prefix_matching(query, title, hit):
    assert matches(words(query), title) is hit


def test_results_put_title_starts_first_and_respect_the_limit():
    videos = [
        video("A day at the beach"),
        video("Beach day 10"),
        video("Beach day 2"),
        video("Birthday", "G/"),
    ]
    result = search(videos, "beach", limit=2)
    assert [v.title for v in result.videos] == ["Beach day 2", "Beach day 10"]
    assert result.total == 3
    assert search(videos, "zzz").videos == ()


def test_search_over_thousands_of_videos_is_fast():
    videos = [video(f"Holiday clip {i} by the sea", f"F{i % 50}/") for i in range(20_000)]
    started = time.perf_counter()
    result = search(videos, "sea 12345")
    assert time.perf_counter() - started < 2.0
    assert [v.title for v in result.videos] == ["Holiday clip 12345 by the sea"]


def _library(root):
    for name in (
        "Summer/Beach day.mp4",
        "Summer/Café.mp4",
        "Winter/Ski day.mp4",
        "Winter/Party.hls/output.m3u8",
        "Loose.mp4",
    ):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return root


class GatedStorage(LocalStorage):
    """Folder listings wait for `gate`: a slow bucket, so the test sees the "not yet" state."""

    def __init__(self, *args):
        super().__init__(*args)
        self.gate = threading.Event()

    def list_level(self, prefix):
        if prefix:
            self.gate.wait(10)
        return super().list_level(prefix)


def test_catalog_search_uses_cached_listings_and_warms_the_rest(tmp_path):
    storage = GatedStorage(_library(tmp_path), b"k" * 32)
    catalog = Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False)  # as on OCI
    videos, pending = catalog.cached_videos()
    assert pending == 2  # Summer/ and Winter/ were never listed; the root's loose file was
    assert [v.title for v in videos] == ["Loose"]
    storage.gate.set()
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:  # the background listing fills them in
        time.sleep(0.05)
        videos, pending = catalog.cached_videos()
    assert pending == 0
    assert [v.title for v in search(videos, "day").videos] == ["Beach day", "Ski day"]
    assert [v.key for v in search(videos, "part").videos] == ["Winter/Party.hls/"]
    assert [v.title for v in search(videos, "cafe").videos] == ["Café"]


# -- the search box on the library page, without a browser -----------------------------------


def titles(at) -> list[str]:
    return [c["title"] for c in cards(at)]


def test_search_box_finds_titles_across_folders(svc):
    at = logged_in()
    at.sidebar.text_input[0].input("CAF").run()
    assert at.title[0].value == "Search: CAF"
    assert titles(at) == ["Ünïcode café"]
    assert at.query_params["q"] == "CAF"
    at.sidebar.text_input[0].input("clip").run()
    assert titles(at) == ["Loose clip"]
    assert [c["folder"] for c in cards(at)] == ["Unsorted"]  # results name their folder


def test_a_bookmarked_search_and_leaving_it_by_picking_a_folder(svc):
    at = logged_in(q="party")
    assert titles(at) == ["Party #2 ?"]
    at.sidebar.radio[0].set_value("Summer 2023 #1/").run()
    assert at.title[0].value == plain("Summer 2023 #1")
    assert at.sidebar.text_input[0].value == ""
    assert "q" not in at.query_params
