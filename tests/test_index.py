"""`python -m homemovies_core index`: real clips made by ffmpeg (with and without recording
tags), real ffprobe (its calls counted by a wrapper beside ffmpeg), a real local library,
and the real `oci` SDK against the fake Object Storage server, where ffprobe reads through
a short-lived PAR URL."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from homemovies_core import library
from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.ffmpeg import find_ffmpeg
from homemovies_core.index.cli import main
from homemovies_core.index.formats import (
    INDEX_LIMIT,
    INDEX_NAME,
    FormatError,
    IndexEntry,
    MovieInfo,
    Rendition,
    VideoFacts,
    decode_index,
    decode_info,
    encode_index,
    encode_info,
)
from homemovies_core.observability.logs import name_ref
from homemovies_core.storage.local import LocalStorage
from tests.support.media import make_clip, make_library, tagged_clip
from tests.support.oci_env import BUCKET, oci_settings

REPO = Path(__file__).resolve().parent.parent
FOLDER = "Summer 2023"
QT_DATE = "2023-07-14T16:02:11+0200"
BEACH = datetime(2023, 7, 14, 16, 2, 11, tzinfo=timezone(timedelta(hours=2)))
PARTY = datetime(2019, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Each kind of clip once; tests copy them into libraries of their own."""
    base = tmp_path_factory.mktemp("clips")
    return {
        "Beach.mp4": tagged_clip(
            base / "Beach.mp4",
            f"com.apple.quicktime.creationdate={QT_DATE}",
            "creation_time=2023-07-14T14:02:11Z",
        ),
        "Party.mov": tagged_clip(base / "Party.mov", "creation_time=2019-05-01T08:00:00Z"),
        "Unset clock.mp4": tagged_clip(
            base / "Unset clock.mp4", "creation_time=1970-01-01T00:00:00Z"
        ),
        "Plain.mp4": make_clip(base / "Plain.mp4", seconds=2),
        "Phone.mp4": make_clip(base / "Phone.mp4", seconds=2, size="640x360", rotate=90),
    }


@pytest.fixture
def counting_ffmpeg(tmp_path) -> tuple[str, Path]:
    """(ffmpeg path, log): the real ffmpeg, with an ffprobe beside it that logs each run and
    then runs the real ffprobe (the index looks for ffprobe next to ffmpeg)."""
    real_probe = shutil.which("ffprobe")
    assert real_probe, "ffprobe is needed (Debian's ffmpeg package)"
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "ffmpeg").symlink_to(find_ffmpeg())
    log = tmp_path / "ffprobe.log"
    script = folder / "ffprobe"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real_probe}" "$@"\n')
    script.chmod(0o755)
    return str(folder / "ffmpeg"), log


def probes(log: Path) -> list[str]:
    """The file each logged ffprobe run read (its last argument)."""
    if not log.exists():
        return []
    return [line.split()[-1] for line in log.read_text().splitlines() if line.strip()]


def make_folder(root: Path, clips: dict[str, Path], *names: str) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or clips:
        shutil.copy2(clips[name], folder / name)
    return folder


def index(root: Path, *args: str, ffmpeg: str | None = None) -> int:
    return main(["--media_dir", str(root), *(["--ffmpeg", ffmpeg] if ffmpeg else []), *args])


def stored(folder: Path) -> dict[str, IndexEntry]:
    return decode_index((folder / INDEX_NAME).read_bytes())


def catalog(root: Path) -> Catalog:
    return Catalog(LocalStorage(root, b"k" * 32), LocalCache(), listing_ttl=60, count_eagerly=True)


def videos(root: Path, folder: str = FOLDER + "/") -> dict[str, library.Video]:
    return {v.title: v for v in catalog(root).folder_view(folder).videos}


# -- local library ------------------------------------------------------------------------
def test_index_records_when_each_video_was_filmed_and_where_that_came_from(tmp_path, clips, capsys):
    folder = make_folder(tmp_path, clips)
    assert index(tmp_path) == 0
    out = capsys.readouterr().out
    assert f"'{FOLDER}': 5 video(s) — 5 probed, 0 unchanged" in out
    entries = stored(folder)
    assert set(entries) == set(clips)
    facts = {name: entry.facts for name, entry in entries.items()}
    assert (facts["Beach.mp4"].recorded, facts["Beach.mp4"].recorded_source) == (BEACH, "quicktime")
    assert facts["Beach.mp4"].recorded.utcoffset() == timedelta(hours=2)  # the beach's own hour
    assert (facts["Party.mov"].recorded, facts["Party.mov"].recorded_source) == (PARTY, "container")
    for name in ("Plain.mp4", "Unset clock.mp4"):  # no date, or 1970: the file's time
        mtime = datetime.fromtimestamp((folder / name).stat().st_mtime, UTC)
        assert (facts[name].recorded, facts[name].recorded_source) == (mtime, "file time"), name
    assert all(f.duration == pytest.approx(2.0, abs=0.1) for f in facts.values())
    assert (facts["Plain.mp4"].width, facts["Plain.mp4"].height) == (320, 240)
    assert (facts["Phone.mp4"].width, facts["Phone.mp4"].height) == (360, 640)  # as shown
    # The exact format: offsets kept, sizes and modified times to know when a file changes.
    raw = json.loads((folder / INDEX_NAME).read_text())
    assert raw["format"] == "homemovies-index" and raw["version"] == 1
    assert raw["videos"]["Beach.mp4"]["recorded"] == "2023-07-14T16:02:11+02:00"
    assert raw["videos"]["Beach.mp4"]["size"] == (folder / "Beach.mp4").stat().st_size


def test_the_catalog_shows_the_indexed_facts_and_a_folder_without_index_works_as_before(
    tmp_path, clips
):
    make_folder(tmp_path, clips, "Beach.mp4", "Phone.mp4")
    plain = tmp_path / "No index"
    plain.mkdir()
    shutil.copy2(clips["Party.mov"], plain / "Party.mov")
    before = videos(tmp_path, "No index/")
    assert index(tmp_path, FOLDER) == 0
    shown = videos(tmp_path)
    beach, phone = shown["Beach"], shown["Phone"]
    assert (beach.recorded, beach.recorded_source) == (BEACH, "quicktime")
    assert beach.duration == pytest.approx(2.0, abs=0.1)
    assert (beach.width, beach.height, phone.width, phone.height) == (320, 240, 360, 640)
    # Not indexed (only FOLDER was asked for): exactly what the catalog showed before.
    after = videos(tmp_path, "No index/")
    assert after == before
    assert (after["Party"].recorded, after["Party"].duration, after["Party"].width) == (
        None,
        None,
        None,
    )
    assert not (plain / INDEX_NAME).exists() and not (plain / "Party.jpg").exists()


def test_unchanged_videos_are_not_probed_again_and_changed_ones_are(
    tmp_path, clips, counting_ffmpeg, capsys
):
    ffmpeg, log = counting_ffmpeg
    folder = make_folder(tmp_path, clips, "Beach.mp4", "Party.mov", "Plain.mp4")
    assert index(tmp_path, ffmpeg=ffmpeg) == 0
    assert sorted(Path(p).name for p in probes(log)) == ["Beach.mp4", "Party.mov", "Plain.mp4"]
    written = (folder / INDEX_NAME).stat()

    log.unlink()
    assert index(tmp_path, ffmpeg=ffmpeg) == 0
    assert probes(log) == []
    assert (folder / INDEX_NAME).stat().st_mtime_ns == written.st_mtime_ns  # not rewritten
    assert "0 probed, 3 unchanged; index already up to date" in capsys.readouterr().out

    # A new modified time, a new size, a new file and a removed one.
    os.utime(folder / "Beach.mp4", (1_600_000_000, 1_600_000_000))
    with open(folder / "Party.mov", "ab") as grown:
        grown.write(b"\0" * 100)
    shutil.copy2(clips["Phone.mp4"], folder / "Phone.mp4")
    (folder / "Plain.mp4").unlink()
    assert index(tmp_path, ffmpeg=ffmpeg) == 0
    assert sorted(Path(p).name for p in probes(log)) == ["Beach.mp4", "Party.mov", "Phone.mp4"]
    assert set(stored(folder)) == {"Beach.mp4", "Party.mov", "Phone.mp4"}
    assert stored(folder)["Party.mov"].size == (folder / "Party.mov").stat().st_size


def test_a_file_replaced_after_indexing_shows_no_stale_facts(tmp_path, clips):
    folder = make_folder(tmp_path, clips, "Beach.mp4")
    assert index(tmp_path) == 0
    shutil.copyfile(clips["Plain.mp4"], folder / "Beach.mp4")  # same name, other video
    beach = videos(tmp_path)["Beach"]
    assert (beach.recorded, beach.duration) == (None, None)  # until `index` runs again
    assert index(tmp_path) == 0
    assert videos(tmp_path)["Beach"].recorded_source == "file time"


def test_videos_without_a_poster_get_one_and_no_poster_is_ever_replaced(tmp_path, clips):
    folder = make_folder(tmp_path, clips, "Beach.mp4", "Party.mov", "Phone.mp4")
    own = io.BytesIO()
    Image.new("RGB", (64, 36), "purple").save(own, "PNG")
    (folder / "Party.png").write_bytes(own.getvalue())
    assert all(v.poster is None for t, v in videos(tmp_path).items() if t != "Party")

    assert index(tmp_path) == 0
    assert (folder / "Party.png").read_bytes() == own.getvalue()
    assert not (folder / "Party.jpg").exists()
    shown = videos(tmp_path)
    assert shown["Beach"].poster == f"{FOLDER}/Beach.jpg"
    for name in ("Beach.jpg", "Phone.jpg"):
        with Image.open(folder / name) as poster:
            assert poster.format == "JPEG" and poster.width <= 640
            assert ImageStat.Stat(poster.convert("L")).mean[0] > 40  # not a black frame
    with Image.open(folder / "Phone.jpg") as portrait:
        assert portrait.height > portrait.width
    made = (folder / "Beach.jpg").stat().st_mtime_ns
    assert index(tmp_path) == 0
    assert (folder / "Beach.jpg").stat().st_mtime_ns == made


def test_a_poster_that_appears_meanwhile_is_kept(tmp_path):
    storage = LocalStorage(tmp_path, b"k" * 32)
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "Movie.jpg").write_bytes(b"the family's own")
    assert storage.write_small("A/Movie.jpg", b"ours", replace=False) is False
    assert (tmp_path / "A" / "Movie.jpg").read_bytes() == b"the family's own"
    assert storage.write_small("A/New.jpg", b"ours", replace=False) is True
    assert storage.write_small("A/" + INDEX_NAME, b"{}") is True
    assert storage.write_small("A/" + INDEX_NAME, b"{ }") is True
    assert (tmp_path / "A" / INDEX_NAME).read_bytes() == b"{ }"
    # Nothing half-written is left, and the app's user may read what was written.
    assert sorted(p.name for p in (tmp_path / "A").iterdir()) == [
        INDEX_NAME,
        "Movie.jpg",
        "New.jpg",
    ]
    assert (tmp_path / "A" / "New.jpg").stat().st_mode & 0o044 == 0o044


def test_no_posters_flag(tmp_path, clips):
    folder = make_folder(tmp_path, clips, "Plain.mp4")
    assert index(tmp_path, "--no_posters") == 0
    assert not (folder / "Plain.jpg").exists() and stored(folder)["Plain.mp4"].facts


def test_a_file_ffprobe_cannot_read_is_noted_once(tmp_path, clips, counting_ffmpeg, capsys):
    ffmpeg, log = counting_ffmpeg
    folder = make_folder(tmp_path, clips, "Plain.mp4")
    (folder / "Broken.mp4").write_bytes(b"not a video at all\n" * 50)
    assert index(tmp_path, ffmpeg=ffmpeg) == 0
    out = capsys.readouterr().out
    assert "1 unreadable" in out and "Broken.mp4: Invalid data" in out
    assert str(tmp_path) not in out  # named, not located
    entry = stored(folder)["Broken.mp4"]
    assert entry.facts is None and "Invalid data" in entry.error
    assert not (folder / "Broken.jpg").exists()
    assert videos(tmp_path)["Broken"].recorded is None
    log.unlink()
    assert index(tmp_path, ffmpeg=ffmpeg) == 0
    assert probes(log) == []  # until it changes


def test_hls_movies_get_their_facts_from_info_json_or_their_playlists(tmp_path):
    root = make_library(tmp_path / "lib")
    party = root / "Home videos" / "Party #2 ?.hls"  # made before ingest wrote info.json
    assert not (party / "info.json").exists()
    assert index(root, "Home videos") == 0
    facts = stored(root / "Home videos")["Party #2 ?.hls/"].facts
    assert facts.duration == pytest.approx(4.0, abs=0.5)
    assert (facts.width, facts.height, facts.recorded) == (640, 360, None)  # top rendition

    info = MovieInfo(
        VideoFacts(BEACH, "quicktime", 95.5, 1920, 1080), (Rendition(1280, 720, 2800, 128),)
    )
    (party / "info.json").write_bytes(encode_info(info))
    assert index(root, "Home videos") == 0
    shown = videos(root, "Home videos/")["Party #2 ?"]
    assert (shown.recorded, shown.recorded_source, shown.duration, shown.width) == (
        BEACH,
        "quicktime",
        95.5,
        1920,
    )
    # The .hls/ movie's own poster is inside it: index makes none beside it.
    assert not (root / "Home videos" / "Party #2 ?.jpg").exists()


def test_a_corrupt_index_is_absent_with_one_warning_and_index_writes_it_again(
    tmp_path, clips, caplog, capsys
):
    folder = make_folder(tmp_path, clips, "Beach.mp4")
    (folder / INDEX_NAME).write_bytes(b'{"format": "homemovies-index", "videos": [1, 2')
    shown = catalog(tmp_path)
    shown.listing_ttl = 0  # every view reads the folder and its index again
    with caplog.at_level(logging.WARNING, logger="homemovies_core.catalog"):
        for _ in range(3):
            view = shown.folder_view(FOLDER + "/")
            assert [v.title for v in view.videos] == ["Beach"] and not view.stale
            assert view.videos[0].recorded is None
    warnings = [r for r in caplog.records if "index" in r.getMessage()]
    # One warning, naming the folder only by its keyed reference (logs carry no names).
    assert len(warnings) == 1 and name_ref(FOLDER + "/") in warnings[0].getMessage()
    assert FOLDER not in warnings[0].getMessage()
    assert index(tmp_path) == 0
    assert "could not be read (it is not JSON); it is made again" in capsys.readouterr().err
    assert videos(tmp_path)["Beach"].recorded == BEACH


def test_odd_entries_are_dropped_one_by_one_and_big_files_are_refused():
    good = {
        "recorded": "2023-07-14T16:02:11+02:00",
        "recorded_source": "quicktime",
        "duration": 12.5,
        "width": 1920,
        "height": 1080,
        "size": 10,
        "modified": "2024-01-01T00:00:00+00:00",
    }
    body = {
        "format": "homemovies-index",
        "version": 1,
        "videos": {
            "Good.mp4": good,
            "Odd.mp4": {
                **good,
                "recorded": "yesterday",
                "duration": -3,
                "width": True,
                "height": 10**9,
                "recorded_source": "exif",
            },
            "NaN.mp4": {**good, "duration": float("nan"), "width": 0},
            "Naive.mp4": {**good, "recorded": "2023-07-14T16:02:11"},
            "../escape.mp4": good,
            ".hidden.mp4": good,
            "a/b.mp4": good,
            "": good,
            "Not a dict.mp4": [1, 2],
        },
    }
    entries = decode_index(json.dumps(body).encode())
    assert set(entries) == {"Good.mp4", "Odd.mp4", "NaN.mp4", "Naive.mp4"}
    assert entries["Good.mp4"].facts == VideoFacts(BEACH, "quicktime", 12.5, 1920, 1080)
    assert entries["Odd.mp4"].facts == VideoFacts()
    assert entries["NaN.mp4"].facts == VideoFacts(BEACH, "quicktime", None, None, None)
    assert entries["Naive.mp4"].facts.recorded is None  # no offset: not a recorded time
    assert entries["Naive.mp4"].facts.duration == 12.5
    for broken in (
        b"",
        b"[]",
        b"\xff\xfe",
        b'{"videos": 3}',
        b'{"format": "other", "videos": {}}',
        b"[" * 100_000,
        b" " * (INDEX_LIMIT + 1),
    ):
        with pytest.raises(FormatError):
            decode_index(broken)
    # What is written reads back the same.
    again = decode_index(encode_index(entries))
    assert again == entries
    assert (
        decode_info(
            encode_info(MovieInfo(VideoFacts(BEACH, "quicktime", 1.5, 2, 4)))
        ).facts.recorded
        == BEACH
    )


def test_command_line_mistakes_are_one_sentence(tmp_path, clips, capsys):
    make_folder(tmp_path, clips, "Plain.mp4")
    assert index(tmp_path, "Holidays") == 1
    err = capsys.readouterr().err
    assert err.startswith("index: error: There is no folder 'Holidays'") and "Traceback" not in err
    assert main([]) == 1
    assert "give --media_dir" in capsys.readouterr().err
    assert main(["--media_dir", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert index(tmp_path, "--workers", "0") == 1
    assert "--workers" in capsys.readouterr().err


def test_the_command_runs_from_the_package_with_folders_and_the_top(tmp_path, clips):
    make_folder(tmp_path, clips, "Plain.mp4")
    shutil.copy2(clips["Party.mov"], tmp_path / "Loose.mov")
    usage = subprocess.run(
        [sys.executable, "-m", "homemovies_core", "index", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert usage.returncode == 0 and usage.stdout.startswith(
        "usage: python -m homemovies_core index"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "homemovies_core",
            "index",
            "--media_dir",
            str(tmp_path),
            "/",
            FOLDER,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr
    assert "'Unsorted': 1 video(s)" in run.stdout and f"'{FOLDER}': 1 video(s)" in run.stdout
    assert stored(tmp_path)["Loose.mov"].facts.recorded == PARTY
    assert [
        v.title for v in library.videos_in("", LocalStorage(tmp_path, b"k" * 32).list_level(""))
    ] == ["Loose"]  # index hidden


# -- OCI: ffprobe reads through a short-lived PAR ------------------------------------------
def oci_args(server, config_path) -> list[str]:
    return ["--bucket", BUCKET, "--os_endpoint", server.endpoint, "--oci_config", str(config_path)]


def test_a_bucket_is_indexed_through_short_lived_read_links(
    server, config_path, clips, capsys, monkeypatch
):
    model = server.model
    made = []  # every PAR the command creates (they are deleted after use, so kept here)
    create_par = model.create_par
    monkeypatch.setattr(
        model, "create_par", lambda *a, **kw: made.append(par := create_par(*a, **kw)) or par
    )
    late_index = tagged_clip(
        clips["Plain.mp4"].with_name("Late.mp4"),
        "creation_time=2019-05-01T08:00:00Z",
        faststart=False,
    )
    for name in ("Beach.mp4", "Phone.mp4"):
        model.put_object(BUCKET, f"{FOLDER}/{name}", clips[name].read_bytes())
    model.put_object(BUCKET, f"{FOLDER}/Late.mp4", late_index.read_bytes())
    assert main(oci_args(server, config_path)) == 0
    out, err = capsys.readouterr()
    assert f"'{FOLDER}': 3 video(s) — 3 probed" in out
    assert "/p/" not in out + err  # no PAR URL in the output
    reads = model.requests("ParGet")
    assert reads and all(r.status == 206 for r in reads)  # Range requests only
    # ffprobe jumped to the end of the file that keeps its index there, and back.
    late = [r for r in reads if r.path.endswith("/Late.mp4")]
    assert len(late) >= 2
    assert model.counts["CreatePreauthenticatedRequest"] == 3
    assert model.pars(BUCKET) == []  # each deleted after use
    # One read link per video, for that one object only, for minutes, never the bucket.
    videos = [f"{FOLDER}/{name}" for name in ("Beach.mp4", "Phone.mp4", "Late.mp4")]
    assert Counter(p.object_name for p in made) == Counter(videos)
    for par in made:
        assert par.access_type == "ObjectRead", par
        assert timedelta(minutes=1) < par.time_expires - par.time_created <= timedelta(minutes=10)

    index_json = json.loads(model.get_object_bytes(BUCKET, f"{FOLDER}/{INDEX_NAME}"))
    beach = index_json["videos"]["Beach.mp4"]
    assert (beach["recorded"], beach["recorded_source"]) == (
        "2023-07-14T16:02:11+02:00",
        "quicktime",
    )
    assert index_json["videos"]["Late.mp4"]["recorded_source"] == "container"
    assert (
        index_json["videos"]["Phone.mp4"]["width"],
        index_json["videos"]["Phone.mp4"]["height"],
    ) == (360, 640)
    for name in ("Beach", "Phone", "Late"):  # posters uploaded beside the videos
        poster = model.head_object(BUCKET, f"{FOLDER}/{name}.jpg")
        assert poster.content_type == "image/jpeg"
        Image.open(io.BytesIO(model.get_object_bytes(BUCKET, f"{FOLDER}/{name}.jpg"))).verify()

    # Again: nothing new, so no read link, no probe, nothing written.
    model.reset_counts()
    assert main(oci_args(server, config_path)) == 0
    assert "0 probed, 3 unchanged; index already up to date" in capsys.readouterr().out
    counts = model.counts
    assert counts["CreatePreauthenticatedRequest"] == 0 and counts["ParGet"] == 0
    assert counts["PutObject"] == 0

    # The app shows the facts, from one listing and one small read of the folder.
    from homemovies_core.oci.storage import OciStorage
    from tests.support.oci_env import QUICK

    storage = OciStorage.from_settings(
        oci_settings(server.endpoint, config_path), policy=QUICK, background=QUICK
    )
    model.reset_counts()
    shown = {
        v.title: v
        for v in Catalog(storage, LocalCache(), listing_ttl=60, count_eagerly=False)
        .folder_view(FOLDER + "/")
        .videos
    }
    assert shown["Beach"].recorded == BEACH and shown["Beach"].poster == f"{FOLDER}/Beach.jpg"
    assert model.counts["GetObject"] == 1 and model.counts["ListObjects"] == 1


def test_movies_being_added_are_reported_and_keep_their_entries(server, config_path, capsys):
    """A marker beside a movie (OCI: it is being uploaded) hides it; `index` says so, and
    one left by an upload that stopped over a day ago gets the sentence of what to do."""
    model = server.model
    now = datetime.now(UTC)
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\ns.ts\n#EXT-X-ENDLIST\n"
    for name, marked_at in (("Pond", now), ("Attic", now - timedelta(days=3))):
        model.put_object(BUCKET, f"{FOLDER}/{name}.hls/v0/s.ts", b"x")
        model.put_object(BUCKET, f"{FOLDER}/{name}.hls.incomplete", b"", time_modified=marked_at)
    model.put_object(BUCKET, f"{FOLDER}/Whole.hls/output.m3u8", playlist)
    pond = IndexEntry(VideoFacts(None, None, 4.0, 640, 360), sha256="a" * 64)
    model.put_object(BUCKET, f"{FOLDER}/{INDEX_NAME}", encode_index({"Pond.hls/": pond}))
    assert main(oci_args(server, config_path)) == 0
    out = capsys.readouterr().out
    assert f"'{FOLDER}': 1 video(s)" in out  # Whole only
    assert "  'Pond' is being added; it is listed once its upload ends.\n" in out
    stopped = (now - timedelta(days=3)).strftime("%Y-%m-%d")
    assert (
        f"  'Attic' is not listed: adding it stopped on {stopped}. Running the same ingest "
        f"again finishes it; deleting '{FOLDER}/Attic.hls.incomplete' lists it as it is; "
        f"deleting that and everything under '{FOLDER}/Attic.hls/' drops it.\n"
    ) in out
    # Pond's publisher already put it into the index: indexing meanwhile keeps it there.
    entries = json.loads(model.get_object_bytes(BUCKET, f"{FOLDER}/{INDEX_NAME}"))["videos"]
    assert sorted(entries) == ["Pond.hls/", "Whole.hls/"]
