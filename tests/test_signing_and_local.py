import os
import time

import pytest

from homemovies_core import signing
from homemovies_core.storage.local import LocalStorage

KEY = signing.derive_key("cookie-key", "video-url")


def test_token_round_trip_expiry_and_tampering():
    token = signing.sign(KEY, {"p": "A/b.mp4"}, time.time() + 60)
    assert signing.verify(KEY, token)["p"] == "A/b.mp4"
    assert signing.verify(KEY, token, now=time.time() + 61) is None  # expired
    assert signing.verify(signing.derive_key("cookie-key", "other"), token) is None  # purpose
    body, mac = token.split(".")
    forged_body = signing.sign(b"attacker", {"p": "A/other.mp4"}, time.time() + 60).split(".")[0]
    assert signing.verify(KEY, f"{forged_body}.{mac}") is None
    assert signing.verify(KEY, "garbage") is None
    assert signing.verify(KEY, "a.b.c") is None


@pytest.fixture
def lib(tmp_path):
    root = tmp_path / "lib"
    (root / "Summer #1").mkdir(parents=True)
    (root / "Summer #1" / "Beach day.mp4").write_bytes(b"mp4data")
    (root / "Summer #1" / "Other.mp4").write_bytes(b"other")
    hls = root / "Summer #1" / "Party ?.hls"
    (hls / "v0").mkdir(parents=True)
    (hls / "output.m3u8").write_text("#EXTM3U\n")
    (hls / "v0" / "seg00000.ts").write_bytes(b"ts")
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", root / "Summer #1" / "escape.mp4")
    return LocalStorage(root, KEY)


def token_of(url: str) -> str:
    return url.split("/")[2]


def test_object_grant_reads_only_that_object(lib):
    g = lib.grant("Summer #1/Beach day.mp4", prefix=False, expires_at=time.time() + 60)
    # The URL names the file, never its folder: a share-link holder sees no storage path.
    assert g.url == "/video/" + token_of(g.url) + "/Beach%20day.mp4"
    assert lib.authorize(token_of(g.url), "Beach day.mp4").read_bytes() == b"mp4data"
    assert lib.authorize(token_of(g.url), "Other.mp4") is None
    assert lib.authorize(token_of(g.url), "Summer #1/Beach day.mp4") is None


def test_prefix_grant_reads_below_its_prefix_only(lib):
    g = lib.grant("Summer #1/Party ?.hls/", prefix=True, expires_at=time.time() + 60)
    t = token_of(g.url)
    assert g.url == f"/video/{t}/"
    assert g.url_for("Summer #1/Party ?.hls/v0/seg00000.ts") == f"/video/{t}/v0/seg00000.ts"
    assert lib.authorize(t, "v0/seg00000.ts").read_bytes() == b"ts"
    assert lib.authorize(t, "output.m3u8") is not None
    assert lib.authorize(t, "../Beach day.mp4") is None
    assert lib.authorize(t, "Summer #1/Party ?.hls/output.m3u8") is None  # names are relative
    assert lib.authorize(t, "v0") is None  # never a directory
    assert lib.authorize(t, "") is None


def test_tokens_reveal_no_folder_names(lib):
    import base64

    g = lib.grant("Summer #1/Party ?.hls/", prefix=True, expires_at=time.time() + 60)
    raw = base64.urlsafe_b64decode(token_of(g.url) + "==")
    assert b"Summer" not in raw and b"Party" not in raw and "Summer" not in g.url


def test_expired_grant_is_refused(lib):
    g = lib.grant("Summer #1/Beach day.mp4", prefix=False, expires_at=time.time() - 1)
    assert lib.authorize(token_of(g.url), "Beach day.mp4") is None


def test_symlink_out_of_the_root_is_refused_and_not_listed(lib):
    g = lib.grant("Summer #1/escape.mp4", prefix=False, expires_at=time.time() + 60)
    assert lib.authorize(token_of(g.url), "escape.mp4") is None
    names = [o.name for o in lib.list_level("Summer #1/").objects]
    assert "Summer #1/escape.mp4" not in names and "Summer #1/Beach day.mp4" in names


@pytest.mark.parametrize(
    "name",
    ["../secret.txt", "/etc/passwd", "a\\b", "a/\x00b", "", ".", "Summer #1/./Beach day.mp4"],
)
def test_resolve_refuses_escapes(lib, name):
    assert lib.resolve(name) is None


def test_listing_one_level(lib):
    listing = lib.list_level("")
    assert [p.name for p in listing.prefixes] == ["Summer #1/"]
    sub = lib.list_level("Summer #1/")
    assert [p.name for p in sub.prefixes] == ["Summer #1/Party ?.hls/"]
    assert sub.prefixes[0].size == len(b"#EXTM3U\n") + 2
    assert lib.list_level("No such/").objects == ()


def test_read_small_respects_limit(lib):
    assert lib.read_small("Summer #1/Beach day.mp4", 100) == b"mp4data"
    assert lib.read_small("Summer #1/Beach day.mp4", 3) is None
    assert lib.read_small("../secret.txt", 100) is None


@pytest.mark.parametrize(
    "token",
    [
        "é.é",
        "ß",
        "a.b\u2028",
        "\ud800.x",
        "." * 5000,
        "",
        42,
        None,
        ["a", "b"],
        "a" * 100_000 + "." + "b",
    ],
)
def test_odd_tokens_are_refused_without_raising(token):
    # Non-ASCII text used to reach `hmac.compare_digest` as str: a TypeError and a 500.
    assert signing.verify(KEY, token) is None
    assert signing.unseal(KEY, token) is None


def test_sealed_tokens_round_trip_and_refuse_tampering():
    token = signing.seal(KEY, {"p": "A/b.mp4"}, time.time() + 60)
    assert signing.unseal(KEY, token)["p"] == "A/b.mp4"
    assert signing.unseal(KEY, token, now=time.time() + 61) is None  # expired
    assert signing.unseal(signing.derive_key("cookie-key", "other"), token) is None
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert signing.unseal(KEY, flipped) is None
    assert signing.unseal(KEY, token[:-4]) is None
    assert signing.verify(KEY, token) is None  # a sealed token is no signed token


def test_a_symlink_inside_the_library_does_not_widen_a_folder_grant(lib):
    hls = lib.root / "Summer #1" / "Party ?.hls"
    os.symlink(lib.root / "Summer #1" / "Beach day.mp4", hls / "leak.mp4")
    os.symlink(lib.root, hls / "everything")
    g = lib.grant("Summer #1/Party ?.hls/", prefix=True, expires_at=time.time() + 60)
    # Both point inside the library, so they resolve; but outside the granted folder.
    assert lib.resolve("Summer #1/Party ?.hls/leak.mp4") is not None
    assert lib.authorize(token_of(g.url), "leak.mp4") is None
    assert lib.authorize(token_of(g.url), "everything/Summer #1/Beach day.mp4") is None
    assert lib.authorize(token_of(g.url), "output.m3u8") is not None
