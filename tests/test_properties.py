"""Properties, for any name at all: paths stay confined, and names survive URL encoding."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homemovies_core.storage.base import quote_name
from homemovies_core.storage.local import LocalStorage

KEY = b"p" * 32
GRANTED = "Family/Trip.hls/"

# Segments an attacker would try, mixed with arbitrary text (unicode, controls, anything).
TRICKY = st.sampled_from(
    [
        "..",
        ".",
        "",
        "%2e%2e",
        "%2E%2E%2F",
        "..%2f",
        "%00",
        "\x00",
        "\\",
        "..\\..",
        "/",
        "//",
        "~",
        "Family",
        "Trip.hls",
        "Other",
        "escape",
        "leak.ts",
        "everything",
        "output.m3u8",
        "\u2024\u2024",
        "．．",
        "\u202e",
        " ",
        "Ü",
    ]
)
SEGMENT = st.one_of(TRICKY, st.text(max_size=12))
NAME = st.lists(SEGMENT, max_size=6).map("/".join)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> LocalStorage:
    """A library with a secret outside it, and symlinks leading out of the granted folder
    both to outside the library and to elsewhere inside it."""
    base = tmp_path_factory.mktemp("confinement")
    (base / "secret.txt").write_text("outside")
    root = base / "lib"
    movie = root / "Family" / "Trip.hls"
    movie.mkdir(parents=True)
    (movie / "output.m3u8").write_text("#EXTM3U\n")
    (root / "Other").mkdir()
    (root / "Other" / "private.mp4").write_bytes(b"private")
    os.symlink(base / "secret.txt", movie / "escape")
    os.symlink(root / "Other" / "private.mp4", movie / "leak.ts")
    os.symlink(root, movie / "everything")
    os.symlink(base, root / "outside")
    return LocalStorage(root, KEY)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAME)
def test_resolve_never_leaves_the_root(library, name):
    path = library.resolve(name)
    assert path is None or path == library.root or path.is_relative_to(library.root)
    if path is not None:
        assert path == path.resolve()  # a real path: no symlink left to follow later


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAME)
def test_a_folder_grant_never_reads_outside_its_folder(library, name):
    grant = library.grant(GRANTED, prefix=True, expires_at=time.time() + 600)
    token = grant.url.split("/")[2]
    folder = (library.root / GRANTED).resolve()
    path = library.authorize(token, name)
    assert path is None or (path.is_relative_to(folder) and path.is_file())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAME)
def test_a_file_grant_reads_that_file_or_nothing(library, name):
    grant = library.grant(GRANTED + "output.m3u8", prefix=False, expires_at=time.time() + 600)
    path = library.authorize(grant.url.split("/")[2], name)
    assert path is None or path == (library.root / GRANTED / "output.m3u8").resolve()


# Any name a file system (and a URL) can hold: no "/" or NUL, no lone surrogates. Nor a backslash:
# the library refuses (and does not list) such names, as a Windows path could escape with them.
FILE_NAME = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00\\"),
    min_size=1,
    max_size=40,
).filter(lambda n: n not in (".", "..") and len(n.encode()) <= 200)


@settings(max_examples=300, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs",))))
def test_quote_name_round_trips_through_unquote(name):
    quoted = quote_name(name)
    assert unquote(quoted) == name
    assert quoted.isascii() and not any(c in quoted for c in " ?#\t\r\n")
    assert quoted.count("/") == name.count("/")  # segments stay segments


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=FILE_NAME)
def test_every_file_name_plays_through_its_url(library, name):
    """A file with any name, in a granted folder, is read back through the URL made for it,
    decoded the way the server decodes a path."""
    file = Path(library.root, GRANTED, name + ".ts")
    file.write_bytes(b"\x47")
    try:
        grant = library.grant(GRANTED, prefix=True, expires_at=time.time() + 600)
        url = grant.url_for(GRANTED + name + ".ts")
        token, _, rest = url.removeprefix("/video/").partition("/")
        assert library.authorize(token, unquote(rest)) == file.resolve()
    finally:
        file.unlink()
