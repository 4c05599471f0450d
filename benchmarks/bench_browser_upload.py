"""Chromium's own upload path, without the app: how fast a bare page sends a file to the fake
OCI, and which of Chromium's processes spend the CPU.

    python benchmarks/bench_browser_upload.py [--mb 500] [--latency 0.02] [--repeat 2]

The Add videos page sends parts with XHR (for its progress events) from a File, 3 at a time
(homemovies_core/ui/uploader/oci.js). This measures that against the other ways a page can
send the same bytes: XHR without a progress listener, fetch() with the Blob, the part read
into an ArrayBuffer first, 64 MiB parts, 6 in flight. Each row: seconds, MB/s, and the CPU
seconds of Chromium's browser process, network service and renderer, and of the fake server.
On loopback the CPU per byte decides (bench_uploads.py); this shows where Chromium's goes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from tests.fake_oci import start_fake_oci  # noqa: E402
from tests.support.browser import chromium  # noqa: E402

# (how, parts in flight, MiB per part); the first is what the page does.
WAYS = [
    ("xhr-progress", 3, 16),
    ("xhr", 3, 16),
    ("fetch", 3, 16),
    ("fetch-arraybuffer", 3, 16),
    ("xhr-progress", 3, 64),
    ("xhr-progress", 6, 16),
]

SEND_JS = """async ([url, how, parallel, partMiB]) => {
  const file = document.querySelector("input").files[0];
  const size = file.size, partSize = partMiB * 1048576;
  const todo = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => i);
  const put = async (target, blob) => {
    if (how === "fetch-arraybuffer") blob = await blob.arrayBuffer();
    if (how.startsWith("fetch")) return (await fetch(target, { method: "PUT", body: blob })).status;
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", target);
      if (how === "xhr-progress") xhr.upload.onprogress = (e) => { window.sent = e.loaded; };
      xhr.onload = () => resolve(xhr.status);
      xhr.onerror = () => resolve(0);
      xhr.send(blob);
    });
  };
  const started = performance.now();
  const worker = async () => {
    for (let i = todo.shift(); i !== undefined; i = todo.shift()) {
      await put(`${url}/part${i}`, file.slice(i * partSize, Math.min(size, (i + 1) * partSize)));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return (performance.now() - started) / 1000;
}"""


def kind(process: psutil.Process) -> str | None:
    """Which of Chromium's processes this is, or None if it is not Chromium's."""
    if "chrom" not in process.name().lower():
        return None
    line = " ".join(process.cmdline())
    if "--type=" not in line:
        return "browser"
    if "--type=renderer" in line:
        return "renderer"
    if "network.mojom" in line.lower():
        return "network"
    return "other"


def chromium_cpu() -> dict[str, float]:
    """CPU seconds used so far by Chromium's processes under this one, per kind."""
    used: dict[str, float] = {}
    for process in psutil.Process().children(recursive=True):
        try:
            name = kind(process)
            if name:
                used[name] = used.get(name, 0.0) + sum(process.cpu_times()[:2])
        except psutil.Error:
            pass
    return used


def cpu() -> dict[str, float]:
    # The fake server runs in this process.
    return {"fake server": sum(psutil.Process().cpu_times()[:2]), **chromium_cpu()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per OCI request")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    columns = ("browser", "network", "renderer", "other", "fake server")
    header = f"{'how':<18} {'in flight':>9} {'MiB':>4} {'seconds':>8} {'MB/s':>6}  " + " ".join(
        f"{c:>11}" for c in columns
    )
    print(f"{args.mb} MB from a file, best of {args.repeat}; CPU seconds per process kind\n")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser, start_fake_oci() as server:
        source = Path(tmp) / "video.bin"
        with open(source, "wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(1_000_000))
        page = browser.new_page()
        page.set_content("<input type=file>")
        page.set_input_files("input", str(source))
        server.model.latency_seconds = args.latency
        target = server.endpoint + "/p/bench"  # a 404 with CORS headers: bodies are read whole
        best: dict[tuple, tuple[float, dict]] = {}
        for _ in range(args.repeat):
            for way in WAYS:
                before = cpu()
                seconds = page.evaluate(SEND_JS, [target, *way])
                after = cpu()
                used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in columns}
                if way not in best or seconds < best[way][0]:
                    best[way] = (seconds, used)
        for way in WAYS:
            seconds, used = best[way]
            how, parallel, part = way
            print(
                f"{how:<18} {parallel:>9} {part:>4} {seconds:>8.2f} {args.mb / seconds:>6.0f}  "
                + " ".join(f"{used[c]:>11.2f}" for c in columns)
            )


if __name__ == "__main__":
    main()
