"""Library page script time (AppTest) for a folder of 1,000 videos, cold and warm cache.

Run: .venv/bin/python benchmarks/bench_library_page.py [--videos 1000] [--runs 5]
Cold = a fresh process-wide cache (the folder is listed and classified, posters read);
warm = the same page again (listing and posters from the cache). Target: warm <= 0.3 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image
from streamlit.testing.v1 import AppTest

from homemovies_core import services, settings


def make_folder(root: Path, count: int) -> None:
    folder = root / "Big folder"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.effect_noise((320, 180), 64).convert("RGB").save(buffer, "JPEG", quality=80)
    poster = buffer.getvalue()
    for i in range(count):
        name = f"Clip {i:04d} #{i % 7} café"
        (folder / f"{name}.mp4").write_bytes(b"\0" * 1024)
        if i % 2 == 0:
            (folder / f"{name}.jpg").write_bytes(poster)
    for i in range(count // 20):  # some HLS movies too
        (folder / f"Movie {i:03d}.hls").mkdir()
        (folder / f"Movie {i:03d}.hls" / "output.m3u8").write_text("#EXTM3U\n")


def page_run_seconds(at: AppTest) -> float:
    start = time.perf_counter()
    at.run(timeout=120)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_folder(Path(tmp), args.videos)
        cold, warm = [], []
        for _ in range(args.runs):
            svc = services.build(settings.load(
                ["--media_dir", tmp, "--username", "u", "--password", "p"], {}, []),
                announce=lambda _m: None)
            services.install(svc)
            at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
            at.query_params["folder"] = "Big folder"
            at.session_state["authentication_status"] = True
            at.session_state["username"] = "u"
            at.session_state["name"] = "u"
            at.session_state["logout"] = None
            cold.append(page_run_seconds(at))
            warm.append(page_run_seconds(at))
    cm, wm = statistics.median(cold), statistics.median(warm)
    print(f"Library page, one folder of {args.videos} videos (+{args.videos // 20} HLS), "
          f"AppTest script time, median of {args.runs}")
    print(f"{'case':<8}{'median s':>10}{'min s':>9}{'max s':>9}  target")
    print(f"{'cold':<8}{cm:>10.3f}{min(cold):>9.3f}{max(cold):>9.3f}")
    print(f"{'warm':<8}{wm:>10.3f}{min(warm):>9.3f}{max(warm):>9.3f}  <= 0.300 "
          f"({'met' if wm <= 0.3 else 'MISSED'})")
    print(f"warm/cold ratio: {wm / cm:.2f}")


if __name__ == "__main__":
    main()
