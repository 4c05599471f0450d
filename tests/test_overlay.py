"""storage/overlay.py: a read-only media folder and the uploads folder's library as one."""

from __future__ import annotations

import os
import time

from homemovies_core.storage.local import LocalStorage
from homemovies_core.storage.overlay import OverlayStorage

KEY = b"k" * 32


def overlay(tmp_path) -> tuple[OverlayStorage, LocalStorage, LocalStorage]:
    media, extra = LocalStorage(tmp_path / "media", KEY), LocalStorage(tmp_path / "extra", KEY)
    return OverlayStorage([media, extra], extra), media, extra


def put(root, name: str, data: bytes = b"x", age: float = 0) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    when = time.time() - age
    os.utime(path, (when, when))


def test_folders_of_one_name_are_merged_and_the_media_folder_wins_a_clash(tmp_path):
    put(tmp_path / "media", "Family/Beach.mp4", b"media")
    put(tmp_path / "media", "Family/Same.mp4", b"media")
    put(tmp_path / "extra", "Family/New.hls/output.m3u8")
    put(tmp_path / "extra", "Family/Same.mp4", b"extra copy")
    put(tmp_path / "extra", "Garden/Rose.mp4")
    storage, _media, _extra = overlay(tmp_path)
    assert [p.name for p in storage.list_level("").prefixes] == ["Family/", "Garden/"]
    level = storage.list_level("Family/")
    assert [o.name for o in level.objects] == ["Family/Beach.mp4", "Family/Same.mp4"]
    assert [o.size for o in level.objects] == [5, 5]  # the media folder's Same.mp4
    assert [p.name for p in level.prefixes] == ["Family/New.hls/"]


def test_a_small_file_is_read_from_its_newest_copy_and_written_to_the_writable_root(tmp_path):
    put(tmp_path / "media", "Family/.homemovies.json", b"old index", age=60)
    put(tmp_path / "extra", "Family/.homemovies.json", b"new index")
    storage, _media, _extra = overlay(tmp_path)
    assert storage.read_small("Family/.homemovies.json", 100) == b"new index"
    assert storage.write_small("Garden/.homemovies.json", b"written") is True
    assert (tmp_path / "extra" / "Garden" / ".homemovies.json").read_bytes() == b"written"
    assert not (tmp_path / "media" / "Garden").exists()
    # "Keep what is there" looks at both roots.
    assert storage.write_small("Family/.homemovies.json", b"again", replace=False) is False


def test_a_playback_url_opens_the_file_in_whichever_root_holds_it(tmp_path):
    put(tmp_path / "media", "Family/Beach.mp4")
    put(tmp_path / "extra", "Family/New.hls/output.m3u8")
    storage, _media, _extra = overlay(tmp_path)
    later = time.time() + 600
    beach = storage.grant("Family/Beach.mp4", prefix=False, expires_at=later)
    movie = storage.grant("Family/New.hls/", prefix=True, expires_at=later)
    token = beach.url.split("/")[2]
    assert storage.authorize(token, "Beach.mp4") == (tmp_path / "media/Family/Beach.mp4")
    token = movie.url.split("/")[2]
    assert storage.authorize(token, "output.m3u8") == (
        tmp_path / "extra/Family/New.hls/output.m3u8"
    )
    assert storage.authorize(token, "../Beach.mp4") is None
