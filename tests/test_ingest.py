"""The ingest command end to end: real ffmpeg/ffprobe, a real local library, and the real
`oci` SDK (and the real `oci` CLI as a peer) against the fake Object Storage server."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import m3u8
import pytest
from PIL import Image, ImageStat

from homemovies_core.cache import LocalCache
from homemovies_core.catalog import Catalog
from homemovies_core.index.formats import INDEX_NAME, decode_index
from homemovies_core.ingest import main
from homemovies_core.library import Kind
from homemovies_core.media_types import CONTENT_TYPES, content_type
from homemovies_core.oci.client import open_bucket
from homemovies_core.oci.storage import OciStorage
from homemovies_core.oci.transfer import Uploader, hash_file
from homemovies_core.storage.local import LocalStorage
from tests.support.media import make_clip, tagged_clip
from tests.support.oci_cli import find_oci_cli
from tests.support.oci_env import BUCKET, NS, QUICK, oci_settings

REPO = Path(__file__).resolve().parent.parent
FOLDER = "Family 2023"
SEGMENT_SECONDS = 2
FAST = ["--preset", "ultrafast", "--segment_seconds", str(SEGMENT_SECONDS)]
SUBTITLES = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nSand and sea.\n"
FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"


# -- inputs and a local library -----------------------------------------------------------------
@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    media = tmp_path_factory.mktemp("camera")
    landscape = make_clip(media / "Beach day.mp4", seconds=4, size="1280x720")
    (media / "Beach day.en.vtt").write_text(SUBTITLES, encoding="utf-8")
    portrait = make_clip(media / "Phone.mp4", seconds=4, size="640x360", rotate=90)
    return {"landscape": landscape, "portrait": portrait}


@pytest.fixture(scope="module")
def library(tmp_path_factory, inputs) -> Path:
    root = tmp_path_factory.mktemp("library")
    assert (
        main(
            [
                str(inputs["landscape"]),
                str(inputs["portrait"]),
                "--folder",
                FOLDER,
                "--media_dir",
                str(root),
                *FAST,
            ]
        )
        == 0
    )
    return root


def _movie(root: Path, name: str) -> Path:
    return root / FOLDER / f"{name}.hls"


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under root (hidden ones too) with size and mtime."""
    found = {}
    for dirpath, dirs, files in os.walk(root):
        for entry in dirs + files:
            stat = os.stat(os.path.join(dirpath, entry))
            found[os.path.relpath(os.path.join(dirpath, entry), root)] = (
                stat.st_size,
                stat.st_mtime_ns,
            )
    return found


def _hidden(root: Path) -> list[str]:
    """Hidden leftovers (staging folders); a folder's index is hidden on purpose."""
    return [
        p
        for p in _snapshot(root)
        if any(part.startswith(".") for part in Path(p).parts) and Path(p).name != INDEX_NAME
    ]


def _failing_ffmpeg(tmp_path: Path) -> Path:
    script = tmp_path / "bin" / "ffmpeg"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho 'simulated encoder crash' >&2\nexit 1\n")
    script.chmod(0o755)
    return script


def _run_cli(
    *args: str, entry: tuple[str, ...] = ("homemovies_core.ingest",)
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *entry, *args],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _one_sentence(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("ingest: error:")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


# -- local library ------------------------------------------------------------------------------
def test_master_playlist_lists_every_rendition_without_upscaling(library):
    master = m3u8.load(str(_movie(library, "Beach day") / "output.m3u8"))
    assert master.is_variant
    sizes = [tuple(p.stream_info.resolution) for p in master.playlists]
    assert all(p.stream_info.bandwidth for p in master.playlists)
    assert sorted(sizes, reverse=True) == [(1280, 720), (854, 480)]  # 2160 and 1080: never upscaled


def test_portrait_clip_stays_portrait_and_below_its_size(library):
    master = m3u8.load(str(_movie(library, "Phone") / "output.m3u8"))
    for variant in master.playlists:
        width, height = variant.stream_info.resolution
        assert variant.stream_info.bandwidth
        assert height > width
        assert height <= 640 and width <= 360


def test_segments_are_short_and_ffprobe_reads_them(library):
    movie = _movie(library, "Beach day")
    master = m3u8.load(str(movie / "output.m3u8"))
    for variant in master.playlists:
        playlist = m3u8.load(str(movie / variant.uri))
        assert playlist.is_endlist and playlist.playlist_type == "vod"
        assert playlist.segments
        assert all(s.duration <= SEGMENT_SECONDS + 1 for s in playlist.segments)
    segment = movie / Path(master.playlists[0].uri).parent / playlist.segments[0].uri
    report = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-of", "json", str(segment)],
        capture_output=True,
        text=True,
        check=True,
    )
    codecs = {s["codec_name"] for s in json.loads(report.stdout)["streams"]}
    assert codecs == {"h264", "aac"}


def test_poster_is_a_bright_jpeg_and_subtitles_are_copied(library):
    movie = _movie(library, "Beach day")
    with Image.open(movie / "poster.jpg") as poster:
        assert poster.format == "JPEG"
        assert ImageStat.Stat(poster.convert("L")).mean[0] > 40
    assert (movie / "Beach day.en.vtt").read_text(encoding="utf-8") == SUBTITLES
    # No subtitles: the only WebVTT file is the seek previews' index.
    assert [p.name for p in _movie(library, "Phone").glob("*.vtt")] == ["thumbnails.vtt"]


def test_the_app_lists_the_ingested_movies(library):
    catalog = Catalog(
        LocalStorage(library, b"k" * 32), LocalCache(), listing_ttl=0, count_eagerly=True
    )
    view = catalog.folder_view(FOLDER + "/")
    by_title = {v.title: v for v in view.videos}
    assert set(by_title) == {"Beach day", "Phone"}
    beach = by_title["Beach day"]
    assert beach.kind is Kind.HLS
    assert beach.key == f"{FOLDER}/Beach day.hls/"
    assert beach.poster == f"{FOLDER}/Beach day.hls/poster.jpg"
    assert [s.language for s in catalog.hls_subtitles(beach)] == ["en"]
    assert _hidden(library) == []  # no staging folders left behind


def test_info_json_says_when_and_what_was_made(library, inputs):
    info = json.loads((_movie(library, "Beach day") / "info.json").read_text())
    # The test clip has no recording date in it: the file's modified time, and it says so.
    recorded = datetime.fromtimestamp(inputs["landscape"].stat().st_mtime, UTC)
    assert info["format"] == "homemovies-movie" and info["version"] == 1
    assert (info["recorded"], info["recorded_source"]) == (recorded.isoformat(), "file time")
    assert info["duration"] == pytest.approx(4.0, abs=0.1)
    assert (info["width"], info["height"]) == (1280, 720)
    assert info["renditions"] == [
        {"width": 1280, "height": 720, "video_kbps": 2800, "audio_kbps": 128},
        {"width": 854, "height": 480, "video_kbps": 1200, "audio_kbps": 96},
    ]
    phone = json.loads((_movie(library, "Phone") / "info.json").read_text())
    assert (phone["width"], phone["height"]) == (360, 640)  # as shown: portrait
    # Both movies are in their folder's index, so the app shows them at once.
    entries = decode_index((library / FOLDER / INDEX_NAME).read_bytes())
    assert set(entries) == {"Beach day.hls/", "Phone.hls/"}
    assert entries["Beach day.hls/"].facts.recorded == recorded


def test_the_recorded_date_is_read_said_and_shown(tmp_path, capsys):
    camera = tmp_path / "camera"
    camera.mkdir()
    iphone = tagged_clip(
        camera / "IMG_0001.mov",
        "com.apple.quicktime.creationdate=2023-07-14T16:02:11+0200",
        "creation_time=2023-07-14T14:02:11Z",
    )
    camcorder = tagged_clip(camera / "MVI_0002.mp4", "creation_time=2019-05-01T08:00:00Z")
    root = tmp_path / "lib"
    root.mkdir()
    args = [
        str(iphone),
        str(camcorder),
        "--folder",
        FOLDER,
        "--media_dir",
        str(root),
        "--ladder",
        "240",
        *FAST,
    ]
    assert main([*args, "--dry_run"]) == 0
    plan = capsys.readouterr().out
    assert "recorded:    14 Jul 2023 16:02 (+02:00), from the QuickTime creation date" in plan
    assert "recorded:    1 May 2019 08:00 (UTC), from the container's creation time" in plan
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "  recorded 14 Jul 2023 16:02 (+02:00), from the QuickTime creation date." in out
    assert "  recorded 1 May 2019 08:00 (UTC), from the container's creation time." in out
    info = json.loads((_movie(root, "IMG_0001") / "info.json").read_text())
    assert (info["recorded"], info["recorded_source"]) == ("2023-07-14T16:02:11+02:00", "quicktime")
    shown = {
        v.title: v
        for v in Catalog(
            LocalStorage(root, b"k" * 32), LocalCache(), listing_ttl=60, count_eagerly=True
        )
        .folder_view(FOLDER + "/")
        .videos
    }
    beach = shown["IMG_0001"]
    assert beach.recorded == datetime(2023, 7, 14, 16, 2, 11, tzinfo=timezone(timedelta(hours=2)))
    assert beach.recorded_source == "quicktime"
    assert shown["MVI_0002"].recorded == datetime(2019, 5, 1, 8, 0, tzinfo=UTC)
    assert (beach.width, beach.height) == (320, 240)


def test_an_existing_name_is_refused_without_overwrite(library, inputs, capsys):
    before = _snapshot(library)
    code = main([str(inputs["landscape"]), "--folder", FOLDER, "--media_dir", str(library), *FAST])
    assert code == 1
    message = _one_sentence(capsys.readouterr().err)
    assert "already exists" in message and "--overwrite" in message
    assert _snapshot(library) == before


def test_overwrite_replaces_the_movie_in_one_step(tmp_path, inputs):
    root = tmp_path / "lib"
    root.mkdir()
    args = [str(inputs["landscape"]), "--folder", FOLDER, "--media_dir", str(root), *FAST]
    assert main(args) == 0
    assert main([*args, "--overwrite", "--ladder", "480"]) == 0
    master = m3u8.load(str(_movie(root, "Beach day") / "output.m3u8"))
    assert [p.stream_info.resolution[1] for p in master.playlists] == [480]
    assert _hidden(root) == []


@pytest.mark.parametrize("folder_exists", [True, False])
def test_failing_ffmpeg_leaves_nothing_and_says_one_sentence(tmp_path, inputs, folder_exists):
    root = tmp_path / "lib"
    root.mkdir()
    if folder_exists:
        (root / FOLDER).mkdir()
    ffmpeg = _failing_ffmpeg(tmp_path)
    result = _run_cli(
        str(inputs["landscape"]),
        "--folder",
        FOLDER,
        "--name",
        "Crash",
        "--media_dir",
        str(root),
        "--ffmpeg",
        str(ffmpeg),
        *FAST,
    )
    assert result.returncode == 1
    message = _one_sentence(result.stderr)
    assert "Converting" in message and "simulated encoder crash" in message
    assert result.stdout == ""
    # Nothing visible and nothing hidden: not the movie, nor a new empty folder.
    assert sorted(_snapshot(root)) == ([FOLDER] if folder_exists else [])


def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path, inputs, capsys):
    root = tmp_path / "lib"
    root.mkdir()
    code = main(
        [
            str(inputs["landscape"]),
            str(inputs["portrait"]),
            "--folder",
            FOLDER,
            "--media_dir",
            str(root),
            "--dry_run",
            *FAST,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "1280x720 at 2800+128 kbit/s" in out and "854x480 at 1200+96 kbit/s" in out
    assert "rotated 90" in out
    assert f"'{FOLDER}/Beach day.hls/'" in out and "files:       about 9" in out
    assert _snapshot(root) == {}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--folder", FOLDER], "give --media_dir"),
        (["--folder", FOLDER, "--media_dir", "{lib}", "--name", "One", "{second}"], "--name"),
        (["--folder", "A/B", "--media_dir", "{lib}"], "one level"),
        (["--folder", FOLDER, "--media_dir", "{lib}", "--ladder", "720,abc"], "--ladder"),
        (["--folder", FOLDER, "--media_dir", "{lib}", "{missing}"], "does not exist"),
        (
            ["--folder", FOLDER, "--media_dir", "{lib}", "--ffmpeg", "/no/such/ffmpeg"],
            "ffmpeg was not found",
        ),
    ],
)
def test_mistakes_are_one_sentence(tmp_path, inputs, capsys, args, expected):
    values = {
        "lib": str(tmp_path),
        "second": str(inputs["portrait"]),
        "missing": str(tmp_path / "missing.mp4"),
    }
    argv = [str(inputs["landscape"]), *(a.format(**values) for a in args)]
    assert main(argv) == 1
    assert expected in _one_sentence(capsys.readouterr().err)
    assert _snapshot(tmp_path) == {}


@pytest.mark.parametrize("entry", [("homemovies_core.ingest",), ("homemovies_core", "ingest")])
def test_both_command_lines_work(tmp_path, inputs, entry):
    shown = " ".join(("python -m", *entry))
    usage = _run_cli("--help", entry=entry)
    assert usage.returncode == 0 and usage.stdout.startswith(f"usage: {shown} INPUT...")
    wrong = _run_cli(
        str(inputs["landscape"]), "--folder", "A/B", "--media_dir", str(tmp_path), entry=entry
    )
    assert wrong.returncode == 1
    assert "one level of folders" in _one_sentence(wrong.stderr)


def _age(path: Path, days: float) -> Path:
    """Make everything in `path` look last written `days` ago."""
    when = time.time() - days * 86400
    for inner in [path, *path.rglob("*")]:
        os.utime(inner, (when, when))
    return path


def _leftover(parent: Path, name: str, days: float) -> Path:
    folder = parent / name
    (folder / "v0").mkdir(parents=True)
    (folder / "v0" / "seg00000.ts").write_bytes(b"G" * 188)
    return _age(folder, days)


def test_a_run_sweeps_what_killed_runs_left_behind(tmp_path, inputs, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the encode cache's home
    (tmp_path / "tmp").mkdir()
    root = tmp_path / "lib"
    (root / FOLDER).mkdir(parents=True)
    cache = tmp_path / "tmp" / f"homemovies-ingest-{os.getuid()}"
    stale = [
        _leftover(root, ".Old.hls.partial-k1ll3d00", days=2),
        _leftover(root / FOLDER, ".Trip.hls.partial-k1ll3d01", days=2),
        _leftover(cache, ".0123456789abcdef01234567.partial-k1ll3d02", days=2),
        _leftover(cache, "89abcdef0123456789abcdef", days=8),
    ]  # an upload never resumed
    kept = [
        _leftover(root / FOLDER, ".Live.hls.partial-st1ll0n0", days=0),  # still encoding
        _leftover(root, ".family-notes", days=30),  # not ours
        _leftover(cache, "0123456789abcdef89abcdef", days=2),
    ]  # may still be resumed
    # A partial encode whose folder is old but which wrote a segment a minute ago: still alive.
    alive = _leftover(root / FOLDER, ".Long.hls.partial-st1ll0n1", days=2)
    os.utime(alive / "v0")
    kept.append(alive)

    assert main([str(inputs["portrait"]), "--folder", FOLDER, "--media_dir", str(root), *FAST]) == 0
    err = capsys.readouterr().err
    assert "Removed 4 leftover(s) of earlier ingests that were interrupted" in err
    for path in stale:
        assert not path.exists() and str(path) in err
    for path in kept:
        assert path.is_dir() and str(path) not in err
    assert _movie(root, "Phone").is_dir()


# -- OCI (the real SDK against the fake server) -------------------------------------------------


def _oci_args(server, config_path) -> list[str]:
    return ["--bucket", BUCKET, "--os_endpoint", server.endpoint, "--oci_config", str(config_path)]


def _objects(model, prefix: str) -> dict[str, object]:
    return {o.name[len(prefix) :]: o for o in model.objects(BUCKET) if o.name.startswith(prefix)}


def _put_names(model) -> list[str]:
    """Object names of the PutObject calls, in the order they were answered."""
    names = []
    for record in model.requests("PutObject"):
        path = record.path.split("/o/", 1)[1]
        names.append(unquote(path))
    return names


def _uploader(server, config_path, **kwargs) -> Uploader:
    return Uploader(open_bucket(oci_settings(server.endpoint, config_path)), **kwargs)


def _relative_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _catalog_titles(server, config_path, folder: str) -> dict[str, object]:
    storage = OciStorage.from_settings(
        oci_settings(server.endpoint, config_path), policy=QUICK, background=QUICK
    )
    view = Catalog(storage, LocalCache(), listing_ttl=0, count_eagerly=False).folder_view(folder)
    return {v.title: v for v in view.videos}


def test_upload_puts_every_file_with_its_content_type_playlist_last(
    server, config_path, inputs, library, capsys
):
    model = server.model
    args = [str(inputs["landscape"]), "--folder", FOLDER, *_oci_args(server, config_path), *FAST]
    assert main(args) == 0
    assert "Uploaded 'Family 2023/Beach day.hls/'" in capsys.readouterr().out
    prefix = f"{FOLDER}/Beach day.hls/"
    stored = _objects(model, prefix)
    # Same files as the local ingest of the same input.
    assert set(stored) == _relative_files(_movie(library, "Beach day"))
    for name, info in stored.items():
        assert info.content_type == content_type(name), name
    # info.json is the one file that is not media (and is never served by the app).
    assert {Path(n).suffix for n in stored} <= set(CONTENT_TYPES) | {".json"}
    assert stored["info.json"].content_type == "application/json"
    assert stored["output.m3u8"].content_type == "application/vnd.apple.mpegurl"
    assert stored["v0/seg00000.ts"].content_type == "video/mp2t"
    assert stored["poster.jpg"].content_type == "image/jpeg"
    assert stored["Beach day.en.vtt"].content_type == "text/vtt"
    # The master playlist last; then the movie goes into its folder's index.
    assert _put_names(model)[-2:] == [prefix + "output.m3u8", f"{FOLDER}/{INDEX_NAME}"]
    assert model.counts["ListObjects"] <= 2  # the existence check, then the resume listing
    video = _catalog_titles(server, config_path, FOLDER + "/")["Beach day"]
    assert video.kind is Kind.HLS and video.poster == prefix + "poster.jpg"
    source_time = datetime.fromtimestamp(inputs["landscape"].stat().st_mtime, UTC)
    assert (video.recorded, video.recorded_source) == (source_time, "file time")
    assert video.duration == pytest.approx(4.0, abs=0.1) and (video.width, video.height) == (
        1280,
        720,
    )

    # A second run: refused without --overwrite; with it, nothing is sent again.
    model.reset_counts()
    assert main(args) == 1
    assert "already exists" in _one_sentence(capsys.readouterr().err)
    assert main([*args, "--overwrite"]) == 0
    assert f"0 files (0.0 MB) sent, {len(stored)} already there" in capsys.readouterr().out
    counts = model.counts
    assert counts["PutObject"] == 0 and counts["UploadPart"] == 0
    assert counts["DeleteObject"] == 0


def test_an_interrupted_upload_resumes_with_only_the_missing_files(
    server, config_path, inputs, library, capsys
):
    model = server.model
    total = len(_relative_files(_movie(library, "Beach day")))
    allowed = 4
    record_call = model.record_call

    def failing_after_some(operation: str):
        # Fail every PutObject after the first few, as if the network went away.
        if operation == "PutObject" and model.counts["PutObject"] >= allowed:
            model.inject_fault("PutObject", status=400, count=None)
        return record_call(operation)

    model.record_call = failing_after_some
    args = [
        str(inputs["landscape"]),
        "--folder",
        FOLDER,
        "--name",
        "Resumed",
        *_oci_args(server, config_path),
        *FAST,
        "--workers",
        "2",
    ]
    assert main(args) == 1
    message = _one_sentence(capsys.readouterr().err)
    assert "run" in message and "again" in message
    prefix = f"{FOLDER}/Resumed.hls/"
    marker = f"{FOLDER}/Resumed.hls.incomplete"
    first = _objects(model, prefix)
    assert _put_names(model)[0] == marker  # before the movie's first object
    assert allowed - 1 <= len(first) < total
    assert "output.m3u8" not in first  # not playable: the master playlist goes last
    assert "Resumed" not in _catalog_titles(server, config_path, FOLDER + "/")  # nor listed

    model.record_call = record_call
    model.clear_faults()
    model.reset_counts()
    assert main(args) == 0  # no --overwrite needed: an unfinished upload is resumed
    captured = capsys.readouterr()
    assert "earlier run" in captured.err  # the encode was kept, not redone
    puts = _put_names(model)
    assert puts[-1] == f"{FOLDER}/{INDEX_NAME}"  # once the movie is whole
    puts = puts[:-1]
    assert len(puts) == total - len(first)  # the marker was up already
    assert not {prefix + n for n in first} & set(puts)
    assert puts[-1] == prefix + "output.m3u8"
    assert len(_objects(model, prefix)) == total
    assert marker not in model.object_names(BUCKET)  # and then it is listed
    assert "Resumed" in _catalog_titles(server, config_path, FOLDER + "/")


def test_dry_run_against_a_bucket_writes_nothing(server, config_path, inputs, capsys):
    args = [
        str(inputs["landscape"]),
        "--folder",
        FOLDER,
        *_oci_args(server, config_path),
        "--dry_run",
        *FAST,
    ]
    assert main(args) == 0
    assert f"the bucket '{BUCKET}'" in capsys.readouterr().out
    counts = server.model.counts
    assert set(counts) <= {"GetNamespace", "HeadBucket", "ListObjects"}
    assert server.model.objects(BUCKET) == []


def test_unreachable_oci_is_one_sentence(config_path, inputs, capsys):
    args = [
        str(inputs["landscape"]),
        "--folder",
        FOLDER,
        "--bucket",
        BUCKET,
        "--os_endpoint",
        "http://127.0.0.1:9",
        "--oci_config",
        str(config_path),
        *FAST,
    ]
    assert main(args) == 1
    assert "could not be reached" in _one_sentence(capsys.readouterr().err)


def test_large_files_go_multipart_and_are_skipped_the_second_time(server, config_path, tmp_path):
    folder = tmp_path / "Big.hls"
    (folder / "v0").mkdir(parents=True)
    big = os.urandom(700 * 1024)
    (folder / "v0" / "seg00000.ts").write_bytes(big)
    (folder / "v0" / "index.m3u8").write_text("#EXTM3U\n")
    (folder / "output.m3u8").write_text("#EXTM3U\n")
    uploader = _uploader(server, config_path, workers=4, part_size=256 * 1024)
    prefix = f"{FOLDER}/Big.hls/"
    report = uploader.upload_folder(folder, prefix)
    assert (report.uploaded, report.skipped) == (3, 0)
    model = server.model
    assert model.counts["UploadPart"] == 3 and model.counts["CommitMultipartUpload"] == 1
    info = _objects(model, prefix)["v0/seg00000.ts"]
    assert info.content_type == "video/mp2t"
    assert model.get_object_bytes(BUCKET, prefix + "v0/seg00000.ts") == big
    # OCI lists a multipart object's MD5 as md5-of-part-md5s "-3": we compute the same.
    assert (
        info.multipart_md5
        == hash_file(folder / "v0" / "seg00000.ts", "x", uploader.part_size).listed_md5
    )
    model.reset_counts()
    again = uploader.upload_folder(folder, prefix, overwrite=True)
    assert (again.uploaded, again.skipped) == (0, 3)
    assert model.counts["PutObject"] == model.counts["UploadPart"] == 0


def test_parallel_uploads_reuse_their_connections(server, config_path, tmp_path, caplog):
    # 16 uploads at once need 16 pooled connections; with requests' default of 10, every
    # answer beyond that closes a connection and urllib3 says so on the console.
    folder = tmp_path / "Many.hls"
    (folder / "v0").mkdir(parents=True)
    for i in range(400):
        (folder / "v0" / f"seg{i:05d}.ts").write_bytes(os.urandom(64))
    (folder / "output.m3u8").write_text("#EXTM3U\n")
    server.model.latency_seconds = 0.02
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        report = _uploader(server, config_path, workers=16).upload_folder(folder, "Many.hls/")
    assert report.uploaded == 401
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


# -- the real `oci` CLI as a peer ---------------------------------------------------------------
def test_oci_cli_bulk_upload_gives_the_same_objects(server, config_path, library):
    cli = find_oci_cli()
    if cli is None:
        pytest.fail(
            "the oci CLI (package oci-cli) is not installed: run ./test.sh, which puts "
            "it in .venv-cli, or set HM_OCI_CLI to its path"
        )
    source = _movie(library, "Beach day")
    ours, theirs = "Ours/Beach day.hls/", "Theirs/Beach day.hls/"
    _uploader(server, config_path).upload_folder(source, ours)
    result = subprocess.run(
        [
            cli,
            "os",
            "object",
            "bulk-upload",
            "--config-file",
            str(config_path),
            "--endpoint",
            server.endpoint,
            "-ns",
            NS,
            "-bn",
            BUCKET,
            "--src-dir",
            str(source),
            "--prefix",
            theirs,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    model = server.model
    mine, cli_objects = _objects(model, ours), _objects(model, theirs)
    assert set(mine) == set(cli_objects) == _relative_files(source)
    assert {n: o.md5 for n, o in mine.items()} == {n: o.md5 for n, o in cli_objects.items()}
    for folder, prefix in (("Ours/", ours), ("Theirs/", theirs)):
        video = _catalog_titles(server, config_path, folder)["Beach day"]
        assert video.kind is Kind.HLS and video.key == prefix
