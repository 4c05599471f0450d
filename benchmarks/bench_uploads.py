"""Adding a 500 MB video from a browser (Chromium), against the command-line tools.

    python benchmarks/bench_uploads.py [--mb 500] [--latency 0.02] [--repeat 2] [--uplinks 0 200]

- local: the Add videos page (tus-js-client, 32 MiB PATCHes through the app's tus route onto
  the disk) vs `curl -T` sending the same 32 MiB chunks to the same route, one curl process
  on one connection. Also shown, for scale: `curl -T file://` copying the file on the disk.
- OCI: the page (16 MiB parts, 3 at a time, straight to the fake OCI through a write PAR,
  the fake on another origin) vs `oci os object put` with the same part size and
  parallelism, both against the fake OCI with `--latency` added to every request.

Local: the browser's time is the span of its tus requests (Resource Timing: the first
request's start to the last answer); curl's is its wall time. OCI: both are the fake
server's own clock, from the multipart upload's creation to the last part's answer. Runs
alternate who goes first; the best of `--repeat` is kept. The machine is shared and noisy:
read the ratios, not the seconds.

Each table is run twice by default (`--uplinks 0 200`): on loopback, where the clients and
the server share this machine's two cores, so a client's CPU per byte decides (Chromium
spends more of it than curl or the CLI); and over a 200 Mbit/s household uplink
(benchmarks/uplink.py, shared by all connections), where the line decides and what is left
to compare is the protocols' round trips and gaps.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psutil  # noqa: E402
from bench_browser_upload import chromium_cpu  # noqa: E402
from uplink import uplink  # noqa: E402

from homemovies_core import signing  # noqa: E402
from homemovies_core.sessions import COOKIE_NAME  # noqa: E402
from homemovies_core.uploads.targets import TUS_CHUNK  # noqa: E402
from homemovies_core.uploads.tokens import UploadTokens  # noqa: E402
from tests.fake_oci import start_fake_oci, write_oci_config  # noqa: E402
from tests.support.accounts import COOKIE_KEY, USER, local_app  # noqa: E402
from tests.support.browser import chromium, serving_app  # noqa: E402
from tests.support.media import make_clip  # noqa: E402
from tests.support.oci_cli import find_oci_cli  # noqa: E402
from tests.support.oci_env import BUCKET, NS, oci_app  # noqa: E402
from tests.support.redis_server import start_redis, stop  # noqa: E402
from tests.support.upload_flows import choose, expect_state, open_add_videos  # noqa: E402

PART_MIB = 16
QUEUED = r"Waiting|Processing|Failed"  # the upload is done and handed to the queue

SPAN_JS = """(match) => {
  const hits = performance.getEntriesByType("resource").filter((e) => e.name.includes(match));
  if (!hits.length) return null;
  const end = Math.max(...hits.map((e) => e.responseEnd));
  return (end - Math.min(...hits.map((e) => e.startTime))) / 1000;
}"""


def app_cpu() -> float:
    """CPU seconds used so far by the app (`streamlit run`, a child of this process)."""
    apps = [
        p for p in psutil.Process().children(recursive=True) if "streamlit" in " ".join(p.cmdline())
    ]
    return sum(sum(p.cpu_times()[:2]) for p in apps)


def client_cpu() -> tuple[float, float]:
    """CPU seconds used so far by the clients: (all of them, Chromium's renderer alone).
    All: Chromium's processes, and the command-line tools this process ran and waited for
    (curl, the oci CLI). The renderer is where the page's own JavaScript runs."""
    chromium = chromium_cpu()
    tools = resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(chromium.values()) + tools.ru_utime + tools.ru_stime, chromium.get("renderer", 0.0)


def measured(run, ready=None) -> tuple[float, float, float, float]:
    """(seconds `run()` says it took, CPU seconds the app, the clients and Chromium's
    renderer spent meanwhile). `ready()`, if given, runs first and is not counted."""
    if ready is not None:
        ready()
    app_before, (client_before, renderer_before) = app_cpu(), client_cpu()
    seconds = run()
    client_after, renderer_after = client_cpu()
    return (
        seconds,
        app_cpu() - app_before,
        client_after - client_before,
        renderer_after - renderer_before,
    )


def random_file(path: Path, mb: int) -> Path:
    with open(path, "wb") as out:
        for _ in range(mb):
            out.write(os.urandom(1_000_000))
    return path


def fresh_copy(source: Path, name: str) -> Path:
    """The same bytes under another name and time: a new upload, never a resumed one."""
    copy = source.with_name(name)
    os.link(source, copy)
    os.utime(copy, (time.time(), time.time() + hash(name) % 1000))
    return copy


def open_page(page, base: str) -> None:
    """A fresh Add videos page, before an upload's time and CPU are counted."""
    page.goto(base + "/add")
    open_add_videos(page, base, logged_in=True)
    page.evaluate(
        "performance.clearResourceTimings(); performance.setResourceTimingBufferSize(5000)"
    )


def browser_upload(page, source: Path, name: str, match: str) -> float:
    """Seconds from the first transfer request to the last answer, as the browser saw them."""
    choose(page, [fresh_copy(source, name)], folder="Family")
    expect_state(page, name, QUEUED)
    return page.evaluate(SPAN_JS, match)


def curl_chunks(base: str, cookie: str, source: Path, work: Path) -> float:
    """`curl -T` of the same 32 MiB chunks to the same tus route, in one curl process."""
    page_token = UploadTokens(signing.derive_key(COOKIE_KEY, "upload")).page(USER)[0]
    size = source.stat().st_size
    started = httpx.post(
        base + "/api/uploads",
        json={
            "name": f"curl-{time.time_ns()}.mp4",
            "size": size,
            "modified": time.time_ns() // 10**6,
            "folder": "Family/",
        },
        headers={"X-HM-Upload": page_token},
        cookies={COOKIE_NAME: cookie},
    ).json()
    chunks, offset = [], 0
    with open(source, "rb") as whole:  # split beforehand: not part of the time
        while offset < size:
            chunk = work / f"chunk{len(chunks)}"
            chunk.write_bytes(whole.read(TUS_CHUNK))
            chunks.append((offset, chunk))
            offset += chunk.stat().st_size
    command = ["curl", "-s", "-f", "-o", "/dev/null"]
    for number, (at, chunk) in enumerate(chunks):
        command += [] if number == 0 else ["--next", "-s", "-f", "-o", "/dev/null"]
        command += [
            "-X", "PATCH", "-T", str(chunk), "-b", f"{COOKIE_NAME}={cookie}",
            "-H", "Tus-Resumable: 1.0.0", "-H", "Content-Type: application/offset+octet-stream",
            "-H", f"Upload-Offset: {at}", "-H", f"X-HM-Upload: {started['token']}", "-H", "Expect:",
            base + started["tus_url"],
        ]  # fmt: skip
    begun = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - begun
    for _at, chunk in chunks:
        chunk.unlink()
    return elapsed


def curl_copy(source: Path, work: Path) -> float:
    target = work / "copy.bin"
    begun = time.perf_counter()
    subprocess.run(["curl", "-s", "-T", str(source), f"file://{target}"], check=True)
    elapsed = time.perf_counter() - begun
    target.unlink()
    return elapsed


def oci_put(cli: str, endpoint: str, config: Path, source: Path, name: str, *extra: str) -> float:
    begun = time.perf_counter()
    subprocess.run(
        [cli, "os", "object", "put", "--config-file", str(config), "--endpoint", endpoint,
         "-ns", NS, "-bn", BUCKET, "--file", str(source), "--name", name, "--force",
         "--part-size", str(PART_MIB), "--parallel-upload-count", "3", *extra],
        check=True, capture_output=True, stdin=subprocess.DEVNULL,
        env={**os.environ, "OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING": "True"},
    )  # fmt: skip
    return time.perf_counter() - begun


def best(runs: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return min(runs)


def bench_local(
    browser, source: Path, work: Path, redis_url: str, repeat: int, mbit: float
) -> dict:
    library = work / f"library{mbit:g}"
    make_clip(library / "Family" / "Old.mp4", seconds=1)
    # Redis and no worker: the jobs wait in the queue and take no CPU from the measurement.
    flags = local_app(library, "--redis_url", redis_url)
    runs: dict[str, list[tuple[float, float, float, float]]] = {
        "browser": [],
        "curl": [],
        "copy": [],
    }
    with serving_app(flags) as app, uplink(app, mbit) as base:
        context = browser.new_context()
        page = context.new_page()
        open_add_videos(page, base)
        cookie = next(c["value"] for c in context.cookies() if c["name"] == COOKIE_NAME)
        for run in range(repeat):  # alternate who goes first: the machine's load drifts
            name = f"local{mbit:g}-{run}.mp4"
            order = (
                (
                    "browser",
                    partial(browser_upload, page, source, name, "/api/uploads/tus/"),
                    partial(open_page, page, base),
                ),
                ("curl", partial(curl_chunks, base, cookie, source, work), None),
            )
            for key, how, ready in order if run % 2 == 0 else reversed(order):
                runs[key].append(measured(how, ready))
            runs["copy"].append(measured(partial(curl_copy, source, work)))
        context.close()
    return {k: best(v) for k, v in runs.items()}


def server_span(model, first: str, last: str) -> float:
    """Seconds from the fake OCI's reading the `first` request to its last answer to a `last`
    one, by the server's own clock: the same measure for the browser and the CLI. (The
    commit is left out for both: the fake hashes the whole object in Python then, which
    real OCI does not make a client wait for.)"""
    log = model.requests()
    begun = min(r.started for r in log if r.operation == first)
    return max(r.finished for r in log if r.operation == last) - begun


def bench_oci(
    browser, source: Path, work: Path, redis_url: str, repeat: int, latency: float, mbit: float
) -> dict:
    cli = find_oci_cli()
    if cli is None:
        raise SystemExit(
            "The oci CLI is not installed (scripts/bootstrap.sh puts it in .venv-cli)."
        )
    runs: dict[str, list[tuple[float, float, float, float]]] = {"browser": [], "cli": []}
    with start_fake_oci() as server, uplink(server.endpoint, mbit) as endpoint:
        model = server.model
        model.create_bucket(BUCKET)
        model.put_object(BUCKET, "Family/Old.mp4", b"placeholder")
        config = write_oci_config(work / f"oci{mbit:g}")
        with serving_app(oci_app(endpoint, config, BUCKET, "--redis_url", redis_url)) as base:
            context = browser.new_context()
            page = context.new_page()
            open_add_videos(page, base)
            model.latency_seconds = latency

            def by_browser(run: int) -> float:
                model.reset_counts()
                browser_upload(page, source, f"oci{mbit:g}-{run}.mp4", endpoint)
                return server_span(model, "ParCreateMultipartUpload", "ParUploadPart")

            def by_cli(run: int) -> float:
                model.reset_counts()
                oci_put(cli, endpoint, config, source, f"cli{mbit:g}-{run}.bin")
                return server_span(model, "CreateMultipartUpload", "UploadPart")

            for run in range(repeat):  # alternate who goes first: the machine's load drifts
                order = (
                    ("browser", by_browser, partial(open_page, page, base)),
                    ("cli", by_cli, None),
                )
                for key, how, ready in order if run % 2 == 0 else reversed(order):
                    runs[key].append(measured(partial(how, run), ready))
                for leftover in model.object_names(BUCKET):  # free the fake's memory
                    if leftover != "Family/Old.mp4":
                        model.delete_object(BUCKET, leftover)
            model.latency_seconds = 0
            context.close()
    return {k: best(v) for k, v in runs.items()}


def print_table(title: str, local: dict, oci: dict, mb: int) -> None:
    rows = [
        ("local", "browser: tus-js-client, 32 MiB PATCHes", local["browser"], local["curl"]),
        ("local", "curl -T, same chunks, same route", local["curl"], local["curl"]),
        ("local", "curl -T file:// (a disk copy, for scale)", local["copy"], None),
        ("OCI", f"browser: PAR multipart, {PART_MIB} MiB x3", oci["browser"], oci["cli"]),
        ("OCI", f"oci os object put, {PART_MIB} MiB x3", oci["cli"], oci["cli"]),
    ]
    print(f"\n{title}")
    header = (
        f"{'where':<6} {'how':<46} {'seconds':>8} {'MB/s':>6} {'vs tool':>8} "
        f"{'app CPU s':>10} {'client CPU s':>13} {'renderer':>9}"
    )
    print(header)
    print("-" * len(header))
    for where, how, (seconds, cpu, client, renderer), baseline in rows:
        ratio = f"{seconds / baseline[0]:>7.2f}x" if baseline else f"{'':>8}"
        print(
            f"{where:<6} {how:<46} {seconds:>8.2f} {mb / seconds:>6.0f} {ratio} "
            f"{cpu:>10.2f} {client:>13.2f} {renderer:>9.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the video, in MB")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per OCI request")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--uplinks",
        type=float,
        nargs="+",
        default=[0, 200],
        help="Mbit/s of the household line the uploads go through; 0: loopback, no line",
    )
    args = parser.parse_args()
    tables = []
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        work = Path(tmp)
        source = random_file(work / "video.mp4", args.mb)
        redis_proc, redis_url = start_redis(work / "redis")
        try:
            for mbit in args.uplinks:
                local = bench_local(browser, source, work, redis_url, args.repeat, mbit)
                oci = bench_oci(browser, source, work, redis_url, args.repeat, args.latency, mbit)
                tables.append((mbit, local, oci))
        finally:
            stop(redis_proc)

    print(
        f"{args.mb} MB video; fake OCI with {args.latency * 1000:.0f} ms per request; "
        f"best of {args.repeat}"
    )
    for mbit, local, oci in tables:
        title = (
            f"Over a {mbit:g} Mbit/s uplink (the line is the limit):"
            if mbit
            else "On loopback (no line: the clients' CPU per byte is the limit, on 2 shared cores):"
        )
        print_table(title, local, oci, args.mb)
    print(
        "\nOCI times are the fake server's own, from the multipart upload's start to its last "
        "part (the CLI's start-up is not in them). App CPU: what `streamlit run` spent "
        "meanwhile; on OCI no video byte reaches it. Client CPU: Chromium's processes from "
        "choosing the file to the upload's end (the page is opened before), or the tool's "
        "whole run (the oci CLI's start-up is ~0.7 s of it); renderer: Chromium's renderer "
        "alone, where the page's JavaScript runs. The disk copy does not go through the line."
    )


if __name__ == "__main__":
    main()
