"""Script runs and lost clicks of a login: the previous release against this checkout.

Run: .venv/bin/python benchmarks/bench_reruns.py [--runs 7] [--no-busy] [--cold]
                                                  [--current COMMIT]

The previous release (082cbf3) knew who was logged in from streamlit-authenticator's cookie
component, which reruns the script after the page loads and after a login; a click landing in
such a rerun was dropped (issue #10). This benchmark checks the baseline out into a git
worktree, starts both apps side by side on the same generated library (same .venv python,
hls.js from this checkout's node_modules), and for each of N fresh browser contexts per
version, alternating versions:

1. loads the login page, fills in the form the moment it appears and clicks "Log in" once;
   the time from that click to the library shown (the sidebar's folder list visible) is
   measured inside the page; no library within 20 s counts as a dropped click (never retried);
2. waits until the page has settled (no full script run for --quiet seconds, none running,
   nothing stale on screen): the script runs from loading the login page to here are what a
   login costs;
3. once the browser holds the login cookie, opens a fresh tab in the same context and loads
   the library: the script runs until it settles are what a first page view costs.

Script runs are counted exactly: every binary websocket frame the page receives is decoded as
a Streamlit ForwardMsg, and every `script_finished` message is one run, classed by its status
(full run, fragment run, or interrupted by a rerun). With --busy (the default) one busy-loop
process per core runs during the measurements (bounded by --busy-seconds): the bug showed on
a busy machine. --cold starts a fresh server for every login (the first login after a restart
is where the baseline dropped most). --current COMMIT measures a commit in a worktree of its
own instead of the working tree (whose files others may be editing meanwhile). Absolute times
depend on the machine; compare the two columns.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import BrowserContext, Page, WebSocket  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks.bench_stack import checkout  # noqa: E402
from tests.support.browser import chromium, free_port, stop, wait_for_http  # noqa: E402
from tests.support.media import make_library  # noqa: E402

BASELINE = "082cbf3"
USER = "mum"
PASSWORD = "benchmark password 1"
CLICK_LIMIT_MS = 20_000  # a click that has not logged in by then was dropped
# The login cookie of each version: streamlit-authenticator's, then our HttpOnly session.
COOKIES = ("home_movies_auth", "hm_session")

# The sidebar's folder list: what a logged-in person sees first, in both versions.
LIBRARY_SHOWN = """() => {
  const el = document.querySelector('[data-testid="stSidebar"] [role="radiogroup"]');
  return el !== null && el.checkVisibility() ? performance.now() : false; }"""
# Streamlit keeps the previous run's elements, marked stale, on screen until replaced.
NOTHING_STALE = """() => !document.querySelector('[data-stale="true"]')
  && !document.querySelector('[data-testid="stStatusWidget"] button')"""
# Remembers when the first click on a button lands (capture phase, before Streamlit sees it).
RECORD_CLICK = """() => { window.__hmClickAt = null;
  document.addEventListener('click', (e) => {
    if (window.__hmClickAt === null && e.target.closest('button'))
      window.__hmClickAt = performance.now(); }, true); }"""
# In every tab: did a password box ever appear (the login form, flashing for a logged-in tab)?
WATCH_LOGIN_FORM = """(() => { window.__hmSawLoginForm = false;
  new MutationObserver((_, obs) => {
    if (document.querySelector('input[type="password"]')) {
      window.__hmSawLoginForm = true; obs.disconnect(); } })
    .observe(document, { childList: true, subtree: true }); })();"""


# -- counting script runs from the websocket ----------------------------------------------
@dataclass
class RunCounter:
    """Script runs seen on one tab's Streamlit websocket, decoded from its ForwardMsgs."""

    finished: Counter = field(default_factory=Counter)  # full / fragment / interrupted
    started: int = 0
    rerun_requests: int = 0  # BackMsg rerun_script sent by the page (clicks, components)
    open_runs: set = field(default_factory=set)  # full runs started and not finished
    last_full_event: float = field(default_factory=time.monotonic)

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws: WebSocket) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._received)
            ws.on("framesent", self._sent)

    def _received(self, payload: str | bytes) -> None:
        if not isinstance(payload, bytes):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type")
        if kind not in ("new_session", "script_finished"):
            return
        run = msg.metadata.run
        fragment = bool(run.fragment_ids)
        if kind == "new_session":
            self.started += 1
            if not fragment:  # a session runs one full run at a time: this one replaced any
                # other (whose end Streamlit may never report, if its ScriptRunner was retired)
                self.open_runs = {run.script_run_id}
                self.last_full_event = time.monotonic()
            return
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished["interrupted"] += 1
        elif fragment or status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.finished["fragment"] += 1
        else:  # FINISHED_SUCCESSFULLY (st.stop included) or a compile error
            self.finished["full"] += 1
        if not fragment:
            self.open_runs.discard(run.script_run_id)
            self.last_full_event = time.monotonic()

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                self.rerun_requests += 1

    def snapshot(self) -> dict[str, int]:
        ended = sum(self.finished.values())
        return {
            "full": self.finished["full"],
            "fragment": self.finished["fragment"],
            "interrupted": self.finished["interrupted"],
            "started": self.started,
            "unfinished": self.started - ended,
            "requests": self.rerun_requests,
        }


def settle(page: Page, runs: RunCounter, quiet: float, limit: float = 90.0) -> None:
    """Wait until no full script run has started or ended for `quiet` seconds, none is running
    and nothing on screen is stale. Polled through Playwright so that its events keep coming."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if runs.open_runs or time.monotonic() - runs.last_full_event < quiet:
            continue
        if page.evaluate(NOTHING_STALE):
            return
    raise TimeoutError(
        f"the page did not settle within {limit:.0f} s: runs {runs.snapshot()}, still running "
        f"{sorted(runs.open_runs)}, last full run event "
        f"{time.monotonic() - runs.last_full_event:.1f} s ago, nothing stale on screen: "
        f"{page.evaluate(NOTHING_STALE)}"
    )


# -- the two apps --------------------------------------------------------------------------
@contextmanager
def serving(checkout: Path, library: Path) -> Iterator[str]:
    """`streamlit run Home.py` of `checkout` (its own directory, imports and config) on a free
    port; yields the base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.Popen([
        sys.executable, "-m", "streamlit", "run", str(checkout / "Home.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--",
        "--media_dir", str(library), "--username", USER, "--password", PASSWORD,
        "--cookie_key", secrets.token_hex(32)],
        cwd=checkout, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/_stcore/health", timeout=90, proc=proc)
        yield url
    finally:
        stop(proc)  # by its process group: the server and anything it started


@contextmanager
def busy_machine(enabled: bool, seconds: float) -> Iterator[list[subprocess.Popen]]:
    """One busy-looping process per core, each ending by itself after `seconds` at most."""
    loop = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    hogs = (
        [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(os.cpu_count() or 1)]
        if enabled
        else []
    )
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


# -- one trial ------------------------------------------------------------------------------
@dataclass
class Trial:
    click_ms: float | None = None  # None: the click was dropped
    after_drop: str = ""  # what the page shows 20 s after a dropped click
    login_runs: dict[str, int] | None = None
    view_runs: dict[str, int] | None = None
    view_ms: float | None = None  # navigation start -> library shown, in the fresh tab
    view_flashed_login: bool | None = None


def trial(context: BrowserContext, url: str, quiet: float) -> Trial:
    result = Trial()
    page = context.new_page()
    runs = RunCounter()
    runs.attach(page)
    page.goto(url)
    # The moment the form appears, as a person (or a password manager's autofill) would.
    page.get_by_role("button", name="Log in").wait_for(timeout=60_000)
    page.evaluate(RECORD_CLICK)
    page.get_by_role("textbox", name="Username").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()  # once, never again
    try:
        shown = page.wait_for_function(LIBRARY_SHOWN, polling=50, timeout=CLICK_LIMIT_MS)
    except PlaywrightTimeout:
        result.after_drop = _what_is_shown(page)
        return result
    result.click_ms = shown.json_value() - page.evaluate("() => window.__hmClickAt")
    if not page.evaluate("() => window.__hmSawLoginForm"):  # the flash detector's own check
        raise RuntimeError("the login form went unnoticed: WATCH_LOGIN_FORM is broken")
    settle(page, runs, quiet)
    result.login_runs = runs.snapshot()

    if not _wait_for_cookie(context, page):
        return result
    page.close()
    view = context.new_page()
    runs = RunCounter()
    runs.attach(view)
    view.goto(url)
    shown = view.wait_for_function(LIBRARY_SHOWN, polling=50, timeout=60_000)
    result.view_ms = shown.json_value()  # performance.now() counts from navigation start
    settle(view, runs, quiet)
    result.view_runs = runs.snapshot()
    result.view_flashed_login = bool(view.evaluate("() => window.__hmSawLoginForm"))
    view.close()
    return result


def _what_is_shown(page: Page) -> str:
    """A line on what a page shows instead of the library: the form, an alert, an error."""
    form = page.get_by_role("button", name="Log in").is_visible()
    notes = page.locator('[data-testid="stAlert"], [data-testid="stException"]').all_inner_texts()
    text = " | ".join(" ".join(n.split())[:120] for n in notes)
    return (
        "the login form, still filled in"
        if form and page.get_by_role("textbox", name="Password").input_value(timeout=5_000)
        else "the login form"
        if form
        else "no login form"
    ) + (f"; {text}" if text else "")


def _wait_for_cookie(context: BrowserContext, page: Page, limit: float = 20.0) -> bool:
    """Whether the browser holds a login cookie (written a moment after the login)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any(c["name"] in COOKIES for c in context.cookies()):
            return True
        page.wait_for_timeout(100)
    return False


# -- the table ------------------------------------------------------------------------------
def _median_range(values: list[float]) -> tuple[float | None, str]:
    if not values:
        return None, "-"
    median = statistics.median(values)
    return median, f"{median:g} [{min(values):g}-{max(values):g}]"


def _p90(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def _ratio(base: float | None, current: float | None) -> str:
    if base is None or current is None:
        return "-"
    if base == 0:
        return "=" if current == 0 else "n/a"
    return f"{current / base:.2f}"


def print_table(results: dict[str, list[Trial]], labels: dict[str, str], runs: int) -> None:
    rows: list[tuple[str, str, str, str]] = []

    def counted(title: str, pick: Callable[[Trial], dict[str, int] | None]) -> None:
        rows.append((title, "", "", ""))
        for key, name in (
            ("full", "full runs (FINISHED_SUCCESSFULLY)"),
            ("fragment", "fragment runs (FINISHED_FRAGMENT_RUN_...)"),
            ("interrupted", "interrupted (FINISHED_EARLY_FOR_RERUN)"),
            ("started", "all runs started (new_session)"),
            ("unfinished", "started, no script_finished ever sent"),
            ("requests", "rerun requests sent by the page"),
        ):
            cells = [
                _median_range([float(d[key]) for t in results[v] if (d := pick(t))])
                for v in ("baseline", "current")
            ]
            rows.append((f"  {name}", cells[0][1], cells[1][1], _ratio(cells[0][0], cells[1][0])))

    counted("Login: script runs, login page loaded -> library settled", lambda t: t.login_runs)
    counted("First page view (fresh tab with the cookie): script runs", lambda t: t.view_runs)
    rows.append(("Click 'Log in' -> library shown, ms", "", "", ""))
    for name, stat in (("median", statistics.median), ("p90", _p90)):
        cells = [
            [t.click_ms for t in results[v] if t.click_ms is not None]
            for v in ("baseline", "current")
        ]
        values = [stat(c) if c else None for c in cells]
        rows.append(
            (f"  {name}", *(f"{x:.0f}" if x is not None else "-" for x in values), _ratio(*values))
        )
    views = [
        [t.view_ms for t in results[v] if t.view_ms is not None] for v in ("baseline", "current")
    ]
    medians = [statistics.median(c) if c else None for c in views]
    rows.append(
        (
            "First page view: navigation -> library, median ms",
            *(f"{x:.0f}" if x is not None else "-" for x in medians),
            _ratio(*medians),
        )
    )
    flashes = [
        f"{sum(bool(t.view_flashed_login) for t in results[v])}/"
        f"{sum(t.view_flashed_login is not None for t in results[v])}"
        for v in ("baseline", "current")
    ]
    rows.append(("First page view showed the login form first", *flashes, ""))
    dropped = [
        f"{sum(t.click_ms is None for t in results[v])}/{len(results[v])}"
        for v in ("baseline", "current")
    ]
    rows.append(
        (f"Dropped clicks (no library {CLICK_LIMIT_MS // 1000} s after one click)", *dropped, "")
    )

    head = ("", f"baseline {labels['baseline']}", f"current {labels['current']}", "cur/base")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        print(
            f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  "
            f"{row[3]:>{widths[3]}}"
        )
    print(
        f"Script runs: median [min-max] over the logins that succeeded; times: over the "
        f"clicks that logged in ({runs} fresh contexts per version)."
    )


def _label(commit: str | None) -> str:
    """The commit measured; for the working tree, HEAD and whether it has changes."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit or "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if commit:
        return head
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout
    return head + ("+changes" if dirty.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh contexts per version")
    parser.add_argument(
        "--busy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one busy-loop process per core during the measurements",
    )
    parser.add_argument(
        "--busy-seconds",
        type=float,
        default=1200,
        help="upper bound on how long the busy loops run",
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=3.0,
        help="seconds without a full script run that count as settled",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="a freshly started server for every login (as after a restart)",
    )
    parser.add_argument("--baseline", default=BASELINE, help="commit of the previous release")
    parser.add_argument("--baseline-dir", type=Path, default=Path("/tmp/hm-baseline"))
    parser.add_argument(
        "--current",
        metavar="COMMIT",
        help="measure this commit (checked out at --current-dir) instead of "
        "the working tree, e.g. while others edit it",
    )
    parser.add_argument("--current-dir", type=Path, default=Path("/tmp/hm-current"))
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    labels = {"baseline": args.baseline, "current": _label(args.current)}
    results: dict[str, list[Trial]] = {"baseline": [], "current": []}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        library = make_library(tmp / "lib")
        checkouts = {
            "baseline": stack.enter_context(checkout(args.baseline, args.baseline_dir)),
            "current": stack.enter_context(checkout(args.current, args.current_dir))
            if args.current
            else ROOT,
        }
        urls = (
            {}
            if args.cold
            else {v: stack.enter_context(serving(c, library)) for v, c in checkouts.items()}
        )
        browser = stack.enter_context(chromium())
        hogs = stack.enter_context(busy_machine(args.busy, args.busy_seconds))
        started = time.monotonic()
        for i in range(args.runs):
            for version in ("baseline", "current"):  # alternating: both see the same load
                with ExitStack() as this_trial:
                    url = urls.get(version) or this_trial.enter_context(
                        serving(checkouts[version], library)
                    )  # --cold: a fresh server
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    this_trial.callback(context.close)
                    context.add_init_script(WATCH_LOGIN_FORM)
                    result = trial(context, url, args.quiet)
                results[version].append(result)
                shown = (
                    f"dropped ({result.after_drop})"
                    if result.click_ms is None
                    else f"{result.click_ms:.0f} ms"
                )
                print(
                    f"[{i + 1}/{args.runs}] {version:<8} click -> library: {shown}; runs: "
                    f"login {result.login_runs}, first view {result.view_runs}",
                    flush=True,
                )
        if hogs and any(h.poll() is not None for h in hogs):
            print(
                f"warning: the busy loops ended before the measurements "
                f"({time.monotonic() - started:.0f} s > --busy-seconds)"
            )
    busy = f"busy: {len(hogs)} busy-loop processes" if args.busy else "not busy"
    servers = "a fresh server for each" if args.cold else "one server per version"
    print(
        f"\nScript runs and 'Log in' clicks, {args.runs} fresh contexts per version "
        f"({servers}), {busy}, settled = {args.quiet:g} s without a full run"
    )
    print_table(results, labels, args.runs)


if __name__ == "__main__":
    main()
