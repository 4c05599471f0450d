"""Time to first frame in Chromium: click on a card -> the video is playing, MP4 and HLS.

Run: .venv/bin/python benchmarks/bench_first_frame.py [--runs 5] [--baseline COMMIT]
Starts the real app on the generated test library, logs in once, then for each run goes
to the folder, taps the video's card and measures, inside the page, the time until
the <video> has advanced past its first frame (currentTime > 0, not paused). Median of N.
The time starts before Playwright's click (as it always has: its checks that the card can
be clicked are included); "from the click" starts at the click event itself.

--baseline COMMIT runs that commit too (a git worktree, with the packages of its own
requirements.txt, see bench_stack.py), each with its own server and browser context, the
two taking turns run by run, and prints both side by side.
Target: <= 1.0 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_stack  # noqa: E402

from tests.support.accounts import COOKIE_KEY  # noqa: E402
from tests.support.browser import chromium  # noqa: E402
from tests.support.flows import card, log_in_for_good, settle  # noqa: E402
from tests.support.media import make_library  # noqa: E402

PASSWORD = "benchmark password"
CASES = {"MP4": ("Summer 2023 #1", "Beach day"), "HLS": ("Home videos", "Party #2 ?")}

# Remembers when the click lands (capture phase, before the page sees it).
RECORD_CLICK = """() => { window.__hmClickAt = null;
  document.addEventListener('click', () => {
    if (window.__hmClickAt === null) window.__hmClickAt = performance.now(); },
    { capture: true, once: true }); }"""
# Polls every animation frame, piercing the player's shadow root, until a video plays.
UNTIL_PLAYING = """(t0) => new Promise(resolve => {
  const find = (root) => {
    const v = root.querySelector('video'); if (v) return v;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) {
      const inner = find(el.shadowRoot); if (inner) return inner; }
    return null; };
  const tick = () => { const v = find(document);
    if (v && v.currentTime > 0 && !v.paused) {
      const now = performance.now(); resolve([now - t0, now - window.__hmClickAt]); }
    else requestAnimationFrame(tick); };
  tick(); })"""


def first_frame_ms(page, base: str, folder: str, title: str) -> tuple[float, float]:
    """(ms from before Playwright's click, ms from the click event) until playing."""
    page.goto(f"{base}/?{urlencode({'folder': folder})}")
    settle(page)
    # A card is a link; before, a button named like it, and before the accessibility work
    # (issue 15) "Play <title>": a baseline commit is measured with its own card.
    named = re.compile("^" + re.escape(title) + ", (play|details)$")
    button = (
        card(page, title)
        .or_(page.get_by_role("button", name=named))
        .or_(page.get_by_role("button", name=f"Play {title}"))
        .first
    )
    button.wait_for()
    page.evaluate(RECORD_CLICK)
    t0 = page.evaluate("() => performance.now()")
    button.click()
    whole, from_click = page.evaluate(UNTIL_PLAYING, t0)
    return whole, from_click


def _label(commit: str | None) -> str:
    import subprocess

    git = ["git", "-C", str(ROOT)]
    return subprocess.run(
        [*git, "rev-parse", "--short", commit or "HEAD"], capture_output=True, text=True
    ).stdout.strip() + ("" if commit else " (working tree)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="COMMIT", help="measure this commit too")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        library = make_library(tmp / "lib")
        apps = [(_label(None), ROOT)]
        if args.baseline:
            base_app = stack.enter_context(bench_stack.checkout(args.baseline, tmp / "baseline"))
            apps.insert(0, (_label(args.baseline), base_app))
        app_args = ["--media_dir", str(library), "--username", "mum", "--password", PASSWORD]
        app_args += ["--cookie_key", COOKIE_KEY]
        browser = stack.enter_context(chromium())
        pages = []
        for number, (_, app) in enumerate(apps):
            work = tmp / f"v{number}"
            work.mkdir()
            base, _pid = stack.enter_context(bench_stack.replica(app_args, work, "app", (), app))
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(base)
            log_in_for_good(page, PASSWORD)  # waits for the login cookie
            pages.append((base, page))
        results = {(v, name): [] for v, _ in apps for name in CASES}
        for _ in range(args.runs):
            for (version, _app), (base, page) in zip(apps, pages, strict=True):
                for name, (folder, title) in CASES.items():
                    results[(version, name)].append(first_frame_ms(page, base, folder, title))
    print(f"Time to first frame (click -> playing) in Chromium, median of {args.runs}")
    print(f"{'version':<24}{'video':<6}{'median ms':>11}{'min ms':>9}{'max ms':>9}"
          f"{'from the click':>16}  target")  # fmt: skip
    for (version, name), values in results.items():
        whole = [w for w, _ in values]
        median = statistics.median(whole)
        verdict = "met" if median <= 1000 else "MISSED"
        print(
            f"{version:<24}{name:<6}{median:>11.0f}{min(whole):>9.0f}{max(whole):>9.0f}"
            f"{statistics.median(c for _, c in values):>16.0f}  <= 1000 ({verdict})"
        )


if __name__ == "__main__":
    main()
