"""Uploading an HLS folder: `homemovies_core.ingest` vs. `oci os object bulk-upload`.

    python benchmarks/bench_ingest_upload.py [--workers 16] [--segments 1800] [--latency 0.02]

A movie folder of 1,800 tiny segments (2 KB each: the cost measured is per request, not per
byte) in 4 renditions, plus playlists and a poster, goes to the fake OCI server
(tests/fake_oci) with 20 ms added to every request, through the real `oci` SDK (ours) and
the real `oci` CLI (the original README's way), in the same run and against the same server.

- upload: a fresh prefix. Ours: one listing, then parallel PutObjects, the master playlist
  last. The CLI: its default `bulk-upload` (10 parallel uploads).
- re-run: the same folder again, everything already there. Ours: one listing, nothing sent.
  The CLI: `bulk-upload --no-overwrite`.

The CLI's wall time includes its start-up (about a second of imports), shown separately.
Set HM_OCI_CLI to the `oci` executable if it is not found (see tests/test_ingest.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homemovies_core.oci.client import open_bucket
from homemovies_core.oci.transfer import Uploader
from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config
from tests.support.oci_cli import find_oci_cli
from tests.support.oci_env import BUCKET, NS, oci_settings

RENDITIONS = 4
SEGMENT_BYTES = 2048


def make_movie(root: Path, segments: int) -> Path:
    movie = root / "Movie.hls"
    per = segments // RENDITIONS
    master = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for r in range(RENDITIONS):
        folder = movie / f"v{r}"
        folder.mkdir(parents=True)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            "#EXT-X-TARGETDURATION:4",
            "#EXT-X-PLAYLIST-TYPE:VOD",
        ]
        for s in range(per + (1 if r < segments % RENDITIONS else 0)):
            name = f"seg{s:05d}.ts"
            # Distinct bytes per file, so MD5 skipping is tested for real.
            (folder / name).write_bytes(os.urandom(SEGMENT_BYTES))
            lines += ["#EXTINF:4.000000,", name]
        (folder / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
        master += [f"#EXT-X-STREAM-INF:BANDWIDTH={(r + 1) * 1_000_000}", f"v{r}/index.m3u8"]
    (movie / "output.m3u8").write_text("\n".join([*master, ""]))
    (movie / "poster.jpg").write_bytes(os.urandom(20_000))
    return movie


def requests_since(model: FakeOCIModel) -> tuple[int, int]:
    counts = model.counts
    return sum(counts.values()), counts["PutObject"] + counts["UploadPart"]


def run_ours(model, settings, movie: Path, prefix: str, workers: int) -> tuple[float, int, int]:
    model.reset_counts()
    started = time.perf_counter()
    # Sign-in, namespace and bucket check included, as in the ingest command.
    uploader = Uploader(open_bucket(settings), workers=workers)
    uploader.upload_folder(movie, prefix, overwrite=True)
    return (time.perf_counter() - started, *requests_since(model))


def run_cli(
    cli: str, model, endpoint: str, config: Path, movie: Path, prefix: str, *extra: str
) -> tuple[float, int, int]:
    model.reset_counts()
    started = time.perf_counter()
    result = subprocess.run(
        [
            cli,
            "os",
            "object",
            "bulk-upload",
            "--config-file",
            str(config),
            "--endpoint",
            endpoint,
            "-ns",
            NS,
            "-bn",
            BUCKET,
            "--src-dir",
            str(movie),
            "--prefix",
            prefix,
            *extra,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True"},
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"oci bulk-upload failed: {result.stderr[-1000:]}")
    return (elapsed, *requests_since(model))


def cli_startup(cli: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [cli, "os", "object", "bulk-upload", "--help"],
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="16", help="comma-separated worker counts for ours")
    parser.add_argument("--segments", type=int, default=1800)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    args = parser.parse_args()
    cli = find_oci_cli()
    if cli is None:
        raise SystemExit("The oci CLI is not installed (pip install oci-cli, or set HM_OCI_CLI).")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        movie = make_movie(tmp_path / "src", args.segments)
        files = sum(1 for p in movie.rglob("*") if p.is_file())
        config = write_oci_config(tmp_path / "oci")
        model = FakeOCIModel(namespace=NS)
        model.create_bucket(BUCKET)
        with start_fake_oci(model) as server:
            settings = oci_settings(server.endpoint, config)
            model.latency_seconds = args.latency
            rows = []
            cli_up = run_cli(cli, model, server.endpoint, config, movie, "CLI/Movie.hls/")
            rows.append(("upload", "oci bulk-upload (10 parallel)", cli_up, cli_up))
            for workers in [int(w) for w in args.workers.split(",")]:
                ours = run_ours(model, settings, movie, f"Ours {workers}/Movie.hls/", workers)
                rows.append(("upload", f"ingest ({workers} workers)", ours, cli_up))
            cli_again = run_cli(
                cli, model, server.endpoint, config, movie, "CLI/Movie.hls/", "--no-overwrite"
            )
            rows.append(("re-run", "oci bulk-upload --no-overwrite", cli_again, cli_again))
            workers = int(args.workers.split(",")[0])
            again = run_ours(model, settings, movie, f"Ours {workers}/Movie.hls/", workers)
            rows.append(("re-run", f"ingest ({workers} workers)", again, cli_again))
            model.latency_seconds = 0
        startup = cli_startup(cli)

    print(
        f"{files} files ({args.segments} segments of {SEGMENT_BYTES} B), "
        f"{args.latency * 1000:.0f} ms per request\n"
    )
    header = (
        f"{'case':<8} {'tool':<32} {'wall s':>7} {'requests':>9} {'uploads':>8} "
        f"{'time vs CLI':>12} {'requests vs CLI':>16}"
    )
    print(header)
    print("-" * len(header))
    for case, tool, (wall, reqs, puts), (cli_wall, cli_reqs, _) in rows:
        print(
            f"{case:<8} {tool:<32} {wall:>7.2f} {reqs:>9} {puts:>8} "
            f"{wall / cli_wall:>11.2f}x {reqs / max(cli_reqs, 1):>15.2f}x"
        )
    print(
        f"\n(oci CLI start-up alone, `bulk-upload --help`: {startup:.2f} s; ours runs in-process "
        "and includes sign-in, namespace and bucket checks.)"
    )


if __name__ == "__main__":
    main()
