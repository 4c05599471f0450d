"""The generated demo library and the test-media helpers other tests build on."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import m3u8
import pytest

from homemovies_core import demo
from homemovies_core.ffmpeg import probe
from tests.support.media import LIBRARY_FILES, make_library

EXPECTED_DEMO = {
    ".demo-complete",
    "Welcome.mp4",
    "Welcome.jpg",
    "Holidays/Beach walk.mp4",
    "Holidays/Beach walk.jpg",
    "Holidays/Beach walk.en.vtt",
    "Holidays/Mountain view.mp4",
    "Holidays/Mountain view.jpg",
    "Birthdays/Blowing candles.mp4",
    "Birthdays/Blowing candles.jpg",
    "Birthdays/Birthday party.hls/output.m3u8",
    "Birthdays/Birthday party.hls/poster.jpg",
    "Birthdays/Birthday party.hls/v0/index.m3u8",
    "Birthdays/Birthday party.hls/v1/index.m3u8",
    "Old tapes/Grandpa 1994.avi",
    "Old tapes/Grandpa 1994.jpg",
}


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    root = tmp_path_factory.mktemp("demo") / "library"
    # A leftover from an interrupted older build: no marker, so it must be replaced.
    (root / "Holidays").mkdir(parents=True)
    (root / "Holidays" / "half-written.mp4").write_bytes(b"\x00" * 10)
    started = time.monotonic()
    assert demo.ensure_demo_library(root) == root
    return root, time.monotonic() - started


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_demo_layout(demo_root: tuple[Path, float]) -> None:
    root, seconds = demo_root
    files = _files(root)
    assert EXPECTED_DEMO <= files
    assert "Holidays/half-written.mp4" not in files
    assert {p.name for p in root.iterdir() if p.is_dir()} == {"Holidays", "Birthdays", "Old tapes"}
    # Only the HLS folder holds segments; the scratch source of the HLS video is gone.
    assert {f for f in files if f.endswith((".mp4", ".avi"))} == {
        "Welcome.mp4",
        "Holidays/Beach walk.mp4",
        "Holidays/Mountain view.mp4",
        "Birthdays/Blowing candles.mp4",
        "Old tapes/Grandpa 1994.avi",
    }
    # No staging folders are left beside the library.
    assert [p.name for p in root.parent.iterdir()] == ["library"]
    assert seconds < 60, f"demo build took {seconds:.1f} s"


def test_demo_media_is_what_it_claims(demo_root: tuple[Path, float]) -> None:
    root, _ = demo_root
    clip = probe(root / "Holidays" / "Beach walk.mp4")
    assert (clip.width, clip.height, clip.has_audio) == (640, 360, True)
    assert 5.5 <= clip.duration <= 6.5
    master = m3u8.load(str(root / "Birthdays" / "Birthday party.hls" / "output.m3u8"))
    assert [p.stream_info.resolution for p in master.playlists] == [(640, 360), (426, 240)]
    assert all(p.stream_info.bandwidth for p in master.playlists)
    streams = json.loads(
        subprocess.run(
            ["/usr/bin/ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
             str(root / "Old tapes" / "Grandpa 1994.avi")],
            capture_output=True, text=True, check=True,
        ).stdout
    )["streams"]  # fmt: skip
    assert streams[0]["codec_name"] == "mpeg4"
    assert (root / "Holidays" / "Beach walk.en.vtt").read_text().startswith("WEBVTT")


def test_second_call_reuses_without_running_ffmpeg(
    demo_root: tuple[Path, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = demo_root
    marker = root / demo.MARKER
    before = marker.stat().st_mtime_ns

    def no_ffmpeg(*args: object, **kwargs: object) -> None:
        raise AssertionError("ffmpeg must not run for a complete demo library")

    monkeypatch.setattr(subprocess, "Popen", no_ffmpeg)
    monkeypatch.setattr(subprocess, "run", no_ffmpeg)
    started = time.monotonic()
    assert demo.ensure_demo_library(root) == root
    assert time.monotonic() - started < 0.5
    assert marker.stat().st_mtime_ns == before


def test_outdated_marker_triggers_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "library"
    root.mkdir()
    (root / demo.MARKER).write_text("0\n")
    (root / "stale.txt").write_text("old")
    built: list[Path] = []
    # The rebuild itself is covered above; here only the decision to rebuild matters.
    monkeypatch.setattr(demo, "_build", lambda base, exe: built.append(base))
    demo.ensure_demo_library(root)
    assert built and not built[0].exists()
    assert (root / demo.MARKER).read_text().strip() == demo.DEMO_VERSION
    assert not (root / "stale.txt").exists()


def test_failed_build_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(base: Path, exe: str) -> None:
        (base / "Holidays").mkdir()
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_build", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.ensure_demo_library(tmp_path / "library")
    assert list(tmp_path.iterdir()) == []


def test_make_library_has_the_tricky_names(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    files = _files(root)
    assert set(LIBRARY_FILES) <= files
    assert probe(root / "Summer 2023 #1" / "Ünïcode café.mp4").has_audio
    master = m3u8.load(str(root / "Home videos" / "Party #2 ?.hls" / "output.m3u8"))
    assert [p.stream_info.resolution for p in master.playlists] == [(640, 360), (426, 240)]
    # A second library comes from the session cache and is identical.
    again = make_library(tmp_path / "lib2")
    assert _files(again) == files
