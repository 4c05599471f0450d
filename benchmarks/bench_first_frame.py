"""Time to first frame in Chromium: click on a card -> the video is playing, MP4 and HLS.

Run: .venv/bin/python benchmarks/bench_first_frame.py [--runs 5]
Starts the real app on the generated test library, logs in once, then for each run goes
to the folder, clicks the card's Play button and measures, inside the page, the time until
the <video> has advanced past its first frame (currentTime > 0, not paused). Median of N.
Target: <= 1.0 s.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.browser import chromium, free_port, run_streamlit, stop, wait_for_http  # noqa: E402
from tests.support.flows import card, log_in_for_good, settle  # noqa: E402
from tests.support.media import make_library  # noqa: E402

PASSWORD = "benchmark password"
CASES = {"MP4": ("Summer 2023 #1", "Beach day"), "HLS": ("Home videos", "Party #2 ?")}

# Polls every animation frame, piercing the player's shadow root, until a video plays.
UNTIL_PLAYING = """(t0) => new Promise(resolve => {
  const find = (root) => {
    const v = root.querySelector('video'); if (v) return v;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
      const inner = find(el.shadowRoot); if (inner) return inner; }
    return null; };
  const tick = () => { const v = find(document);
    if (v && v.currentTime > 0 && !v.paused) resolve(performance.now() - t0);
    else requestAnimationFrame(tick); };
  tick(); })"""


def first_frame_ms(page, base: str, folder: str, title: str) -> float:
    page.goto(f"{base}/?{urlencode({'folder': folder})}")
    settle(page)
    button = card(page, title).first
    button.wait_for()
    t0 = page.evaluate("() => performance.now()")
    button.click()
    return page.evaluate(UNTIL_PLAYING, t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = make_library(Path(tmp) / "lib")
        port = free_port()
        proc = run_streamlit(
            ROOT / "Home.py",
            port,
            [
                "--media_dir",
                str(library),
                "--username",
                "mum",
                "--password",
                PASSWORD,
                "--cookie_key",
                secrets.token_hex(32),
            ],
        )
        base = f"http://127.0.0.1:{port}"
        results: dict[str, list[float]] = {name: [] for name in CASES}
        try:
            wait_for_http(base + "/health", 60, proc)
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base)
                log_in_for_good(page, PASSWORD)  # waits for the login cookie
                for _ in range(args.runs):
                    for name, (folder, title) in CASES.items():
                        results[name].append(first_frame_ms(page, base, folder, title))
        finally:
            stop(proc)
    print(f"Time to first frame (click -> playing) in Chromium, median of {args.runs}")
    print(f"{'video':<6}{'median ms':>11}{'min ms':>9}{'max ms':>9}  target")
    for name, values in results.items():
        median = statistics.median(values)
        verdict = "met" if median <= 1000 else "MISSED"
        print(
            f"{name:<6}{median:>11.0f}{min(values):>9.0f}{max(values):>9.0f}  <= 1000 ({verdict})"
        )


if __name__ == "__main__":
    main()
