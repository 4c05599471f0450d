"""Concurrent viewers: N simulated browsers log in and browse; time per interaction, errors,
server CPU and memory per session, on one replica and on two behind HAProxy.

Run against a running app:
  .venv/bin/python benchmarks/bench_sessions.py --url http://127.0.0.1:8501 --sessions 10 \\
      --username mum --password '...' [--server-pid PID ...]
or let it start the servers itself, fresh for every cell of the table (a library made by
tests.support.media.make_library plus a folder of --extra-videos clips; the test cookie key; one
replica on its own cache, or two sharing a redis-server behind HAProxy in round robin):
  .venv/bin/python benchmarks/bench_sessions.py --spawn --sessions 1 10 50 --replicas 1 2

A viewer is one browser (its own cookies, X-Forwarded-For address and connection pool of
6) speaking Streamlit's websocket protocol (benchmarks/st_client.py) and fetching what the
page makes a browser fetch. Viewers start evenly over --ramp seconds (default 0.5 s per
viewer, at least 10: a login is ~0.3 s of bcrypt, and a family's devices do not all log in
in the same second) and log in:
  open    loads the app: the login form
  login   fills in Username and Password and clicks "Log in": one rerun (the login happens
          in the button's callback); then collects the HttpOnly login cookie as the page does
          (POST /auth/session, "session", with the hand-off id from the `homemovies.session`
          component's data) and fetches the library's posters
After the ramp, once all N have logged in (so that no login's bcrypt counts as browsing on a
busy machine, where logins can outlast the ramp), all N browse for --duration seconds, in
rounds, with a think time of 0.5-1.5 x --think before every interaction:
  back    "← Back" on the watch page (not in the first round: the library is shown); a
          page link, which the frontend follows with one rerun (a button, on older commits)
  folder  picks another folder in the sidebar radio; fetches its posters ("poster")
  watch   taps a video card: a link to the watch page, which the frontend follows with one
          rerun (the card grid component's trigger "open" on older commits); then
          what the player fetches ("media": the first 256 KiB of an MP4 with a Range request;
          for HLS hls.js once, the playlists and the first segment); after the think time
          (watching) one progress report ("progress", POST /api/progress)
  reload  every --reload-every rounds: reloads the watch page, i.e. a new websocket that
          brings only the cookie (behind a round-robin balancer often to the other replica)
          and must come back logged in on the same video.
A Streamlit interaction is timed from its BackMsg to the script_finished that ends it; an
HTTP one per request. The browser's cache is honoured (a poster or hls.js is fetched once
per viewer). The login cookie is collected, although the websocket's session state already
holds the login, because a browser does it, the page draws the hand-off until it is done, and
"reload" needs the cookie. Not simulated: timed fragments (st.fragment(run_every=...)), whose
reruns the frontend would send on its own; the app's run every hour or more.

Server CPU is the replicas' user+system time (/proc/<pid>/stat), for the whole cell and for
the browsing phase alone; memory per session is the growth of their resident set from before
the viewers connect (after a warm-up visit per replica) to when all N are still connected at
the end, divided by N. HAProxy and Redis, this benchmark's own process and everything else on
the machine are measured apart, so a disturbed run shows (--wait-quiet waits for a quiet
machine before each cell). --profile DIR records the replicas with py-spy while they browse
and prints the functions where they spent their time. --streamlit-option and --app-dir
measure a fix before it is made; --commit measures a commit while others edit the tree.
--baseline COMMIT measures that commit too, cell by cell beside the other (same library,
same machine, one after the other) and prints their ratios: before and after in one run.
A commit runs with the packages its own requirements.txt names (bench_stack.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_stack  # noqa: E402
from st_client import ProtocolError, Run, Tab  # noqa: E402

SCRIPT_KINDS = ("open", "login", "back", "folder", "watch", "reload")
HTTP_KINDS = ("session", "poster", "media", "progress")
BROWSE_KINDS = ("back", "folder", "watch", "reload")  # what "holds with p95" is about
SPAWN_USER, SPAWN_PASSWORD = "mum", "benchmark password 1"
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
FIRST_BYTES = 256 * 1024  # what a browser reads of a video before it starts playing
P95_LIMIT = 1.0


# -- what happened -----------------------------------------------------------------------
@dataclass
class Record:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # kind -> count
    messages: Counter = field(default_factory=Counter)  # "kind: message" -> count
    runs: Counter = field(default_factory=Counter)  # kind -> script runs it took

    def ok(self, kind: str, seconds: float) -> None:
        self.seconds[kind].append(seconds)

    def fail(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        self.messages[f"{kind}: {message}"[:240]] += 1


class ViewerError(Exception):
    """An interaction failed; it is recorded, and the viewer stops browsing."""


def address(n: int) -> str:
    """A distinct client address per viewer, as distinct devices of a family have (the login
    throttle counts per address; loopback is a trusted proxy, so the app believes it)."""
    return f"10.{n // 250 % 250}.{n % 250 + 1}.7"


# -- one viewer ----------------------------------------------------------------------------
@dataclass
class Config:
    url: str
    username: str
    password: str
    duration: float
    ramp: float
    think: float
    reload_every: int
    timeout: float
    seed: int


class Viewer:
    def __init__(self, n: int, cfg: Config, record: Record, http: aiohttp.ClientSession):
        self.n, self.cfg, self.record, self.http = n, cfg, record, http
        self.rng = random.Random(cfg.seed * 100_003 + n)
        self.tab = Tab(http, cfg.url.rstrip("/"), timeout=cfg.timeout)
        self.fetched: set[str] = set()  # the browser's cache: posters and hls.js are immutable
        self.folder = ""  # the folder picked last

    # Interactions -----------------------------------------------------------------------
    async def script(
        self, kind: str, action: Awaitable[Run], check: Callable[[Run], str | None]
    ) -> Run:
        try:
            run = await action
        except (ProtocolError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.record.fail(kind, str(exc) or type(exc).__name__)
            raise ViewerError(kind) from exc
        problem = "; ".join(run.problems()) or check(run)
        if problem:
            self.record.fail(kind, problem)
            raise ViewerError(kind)
        self.record.ok(kind, run.seconds)
        self.record.runs[kind] += run.runs
        return run

    async def fetch(
        self, kind: str, method: str, url: str, *, expect: tuple[int, ...] = (200,), **kwargs
    ) -> bytes | None:
        started = time.perf_counter()
        try:
            async with self.http.request(method, self.tab.url(url), **kwargs) as response:
                body = await response.read()
                if response.status not in expect:
                    self.record.fail(kind, f"{method} {url[:60]} answered {response.status}")
                    return None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.record.fail(kind, f"{method} {url[:60]}: {exc!r}")
            return None
        self.record.ok(kind, time.perf_counter() - started)
        return body

    async def posters(self, run: Run) -> None:
        urls = {
            c["poster"]
            for _, data in run.components("homemovies.cards")
            for c in data.get("cards", [])
            if c.get("poster")
        } - self.fetched
        self.fetched |= urls
        await asyncio.gather(*(self.fetch("poster", "GET", u) for u in sorted(urls)))

    async def think(self) -> None:
        await asyncio.sleep(self.cfg.think * self.rng.uniform(0.5, 1.5))

    # The visit --------------------------------------------------------------------------
    async def visit(self, phase: Phase) -> None:
        """Log in now; browse once the phase starts (every viewer has logged in) until it
        stops, at least one round."""
        run = await self.log_in()
        await phase.arrive(self.n)
        await self.browse(run, phase)

    async def tour(self) -> None:
        """Log in and open every folder once, with its posters: what a replica lists and
        decodes once in its life (the warm-up)."""
        run = await self.log_in()
        radio = run.widget("radio", "Folders")
        for folder in [o for o in radio.options if o != self.tab.shown(radio)]:
            self.folder = folder
            self.tab.pick(radio, folder)
            run = await self.script("folder", self.tab.rerun(), self.folder_shown)
            await self.posters(run)
            radio = run.widget("radio", "Folders")

    async def log_in(self) -> Run:
        tab = self.tab
        run = await self.script(
            "open",
            tab.open(),
            lambda r: (
                None
                if any(w.label == "Username" for w in r.widgets("text_input"))
                else "no login form"
            ),
        )
        await self.think()
        tab.type_text(run.widget("text_input", "Username"), self.cfg.username)
        tab.type_text(run.widget("text_input", "Password"), self.cfg.password)
        run = await self.script(
            "login", tab.rerun([tab.click(run.widget("button", "Log in"))]), self.library_shown
        )
        await self.collect_cookie(run)
        await self.posters(run)
        return run

    async def browse(self, run: Run, phase: Phase) -> None:
        tab = self.tab
        rounds = 0
        while rounds == 0 or time.monotonic() < phase.stop_at:
            rounds += 1
            await self.think()
            if rounds > 1:
                run = await self.script("back", self.back(run), self.library_shown)
                await self.think()
            radio = run.widget("radio", "Folders")
            shown = tab.shown(radio)
            choices = [o for o in radio.options if o != shown] or list(radio.options)
            self.folder = self.rng.choice(choices)
            tab.pick(radio, self.folder)
            run = await self.script("folder", tab.rerun(), self.folder_shown)
            await self.posters(run)
            await self.think()
            run = await self.watch(run)
            if self.cfg.reload_every and rounds % self.cfg.reload_every == 0:
                await self.think()
                query = run.query_string
                run = await self.script(
                    "reload",
                    tab.open("watch", query),
                    lambda r: (
                        "the login form instead of the video (no login from the cookie)"
                        if any(w.label == "Username" for w in r.widgets("text_input"))
                        else self.player_missing(r)
                    ),
                )

    def back(self, watching: Run) -> Awaitable[Run]:
        """Follow "← Back": a page link; on commits older than the link, a button."""
        link = next((w for w in watching.widgets("page_link") if w.label == "← Back"), None)
        if link is not None:
            return self.tab.follow(link)
        return self.tab.rerun([self.tab.click(watching.widget("button", "← Back"))])

    async def watch(self, library: Run) -> Run:
        cards = [
            (cid, c)
            for cid, data in library.components("homemovies.cards")
            for c in data.get("cards", [])
            if not c.get("download")
        ]
        if not cards:
            self.record.fail("watch", f"no playable card in {self.folder!r}")
            raise ViewerError("watch")
        grid, card = self.rng.choice(cards)
        run = await self.script(
            "watch",
            # A card is a link the frontend follows (one rerun of the watch page); on commits
            # older than that, its component's trigger "open", whose callback switched pages.
            self.tab.go(card["href"])
            if card.get("href")
            else self.tab.rerun([self.tab.component_event(grid, "open", card["key"])]),
            self.player_missing,
        )
        player = run.components("homemovies.player")[0][1]
        await self.media(player)
        await self.think()  # watching
        if player.get("progressUrl") and player.get("progressToken"):
            await self.fetch(
                "progress",
                "POST",
                player["progressUrl"],
                expect=(204,),
                json={
                    "token": player["progressToken"],
                    "position": round(self.rng.uniform(5, 60), 1),
                    "duration": 120.0,
                },
            )
        return run

    async def media(self, player: dict) -> None:
        """What the player fetches before the first frame."""
        src = player["src"]
        if player.get("kind") != "hls":
            await self.fetch(
                "media", "GET", src, expect=(206,), headers={"Range": f"bytes=0-{FIRST_BYTES - 1}"}
            )
            return
        hls_js = player.get("hlsUrl") or "/player/hls.min.js"  # a browser without native HLS
        if hls_js not in self.fetched:
            self.fetched.add(hls_js)
            await self.fetch("media", "GET", hls_js)
        url = self.tab.url(src)
        for _ in range(2):  # master playlist -> a rendition's playlist -> its first segment
            body = await self.fetch("media", "GET", url)
            if body is None:
                return
            lines = [
                x for x in body.decode(errors="replace").splitlines() if x and not x.startswith("#")
            ]
            if not lines:
                self.record.fail("media", f"an empty playlist at {url[:60]}")
                return
            url = urljoin(url, lines[0])
            if not lines[0].endswith(".m3u8"):
                break
        await self.fetch("media", "GET", url)

    async def collect_cookie(self, run: Run) -> None:
        handoffs = run.components("homemovies.session")
        if not handoffs:
            self.record.fail("session", "the login drew no cookie hand-off")
            return
        data = handoffs[0][1]
        await self.fetch(
            "session", "POST", data["url"], expect=(204,), headers={"X-HM-Handoff": data["id"]}
        )
        if not any(c.key == "hm_session" for c in self.http.cookie_jar):
            self.record.fail("session", "no hm_session cookie after POST /auth/session")

    # Checks -------------------------------------------------------------------------------
    @staticmethod
    def library_shown(run: Run) -> str | None:
        if any(w.label == "Folders" for w in run.widgets("radio")):
            return None
        return "no library: " + ("; ".join(run.alerts()) or "the folder list is missing")

    def folder_shown(self, run: Run) -> str | None:
        if "folder=" not in run.query_string:
            return f"the URL did not change to the folder (query {run.query_string!r})"
        if not run.components("homemovies.cards") and not run.alerts():
            return f"folder {self.folder!r} drew no cards"
        return None

    @staticmethod
    def player_missing(run: Run) -> str | None:
        if run.components("homemovies.player"):
            return None
        return "no player: " + ("; ".join(run.alerts()) or "nothing about the video shown")


def browser(n: int, cfg: Config) -> aiohttp.ClientSession:
    """Viewer `n`'s browser, its HTTP side: its own cookies, address and connection pool."""
    jar = aiohttp.CookieJar(unsafe=True)  # the app is at an IP address
    # A browser's 6 connections per host. Idle ones are dropped before uvicorn's 5 s
    # keep-alive ends them: a request on a connection the server is closing fails with a reset,
    # which a browser retries unseen and aiohttp does not.
    connector = aiohttp.TCPConnector(limit=6, keepalive_timeout=3.0)
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": address(n)}
    return aiohttp.ClientSession(
        cookie_jar=jar,
        connector=connector,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=cfg.timeout),
    )


async def one_viewer(
    n: int,
    cfg: Config,
    record: Record,
    start_at: float,
    phase: Phase,
    parked: asyncio.Queue,
    release: asyncio.Event,
) -> None:
    async with browser(n, cfg) as http:
        viewer = Viewer(n, cfg, record, http)
        try:
            await asyncio.sleep(max(0.0, start_at - time.monotonic()))
            await viewer.visit(phase)
        except ViewerError:
            pass
        except Exception as exc:  # noqa: BLE001 - a bug here must show, not hang the cell
            record.fail("viewer", f"{type(exc).__name__}: {exc}")
        finally:
            phase.give_up(n)  # a viewer that failed before browsing holds nobody up
            parked.put_nowait(n)  # still connected: memory is measured with everyone here
            await release.wait()
            await viewer.tab.close()


async def one_tour(n: int, cfg: Config, record: Record) -> None:
    async with browser(n, cfg) as http:
        viewer = Viewer(n, cfg, record, http)
        try:
            await viewer.tour()
        except ViewerError:
            pass
        finally:
            await viewer.tab.close()


class Phase:
    """The browsing phase: it starts when the ramp is over and every viewer has logged in (or
    failed to), and lasts `duration` seconds."""

    def __init__(self, viewers: int, not_before: float, duration: float):
        self.waiting = set(range(viewers))
        self.not_before, self.duration = not_before, duration
        self.started = asyncio.Event()
        self.everyone = asyncio.Event()
        self.start_at = self.stop_at = 0.0
        if not viewers:
            self.everyone.set()

    def give_up(self, n: int) -> None:
        self.waiting.discard(n)
        if not self.waiting:
            self.everyone.set()

    async def arrive(self, n: int) -> None:
        self.give_up(n)
        await self.started.wait()

    async def run(self) -> None:
        await self.everyone.wait()
        await asyncio.sleep(max(0.0, self.not_before - time.monotonic()))
        self.start_at = time.monotonic()
        self.stop_at = self.start_at + self.duration
        self.started.set()


# -- one cell of the table -----------------------------------------------------------------
@dataclass
class Cell:
    setup: str
    sessions: int
    record: Record
    wall: float  # the whole cell: logins and browsing
    browse_wall: float  # from the phase's start until every viewer's last round ended
    server_cpu: float | None
    browse_cpu: float | None  # the replicas' CPU while browsing
    rss_growth: float | None  # MB, all replicas, sessions connected vs before
    rss_peak_growth: float | None
    helpers_cpu: float | None
    client_cpu: float
    machine_busy: float
    profile: list[str] = field(default_factory=list)
    version: str = ""  # the commit measured, when the table compares two

    @property
    def script_done(self) -> int:
        return sum(len(self.record.seconds[k]) for k in SCRIPT_KINDS)

    @property
    def browsed(self) -> int:
        return sum(len(self.record.seconds[k]) for k in BROWSE_KINDS)

    def other_cpu(self) -> float | None:
        if self.server_cpu is None:
            return None
        return self.machine_busy - self.server_cpu - (self.helpers_cpu or 0) - self.client_cpu


class Meter:
    """CPU and memory of the server processes (when their pids are known)."""

    def __init__(self, replicas: tuple[int, ...], helpers: tuple[int, ...]):
        self.replicas, self.helpers = replicas, helpers
        self.cpu0 = self.helpers0 = 0.0
        self.rss0 = self.peak = 0.0

    def start(self) -> None:
        self.cpu0 = self.cpu()
        self.helpers0 = sum(map(bench_stack.cpu_seconds, self.helpers))
        self.rss0 = self.peak = self.rss()

    def cpu(self) -> float:
        return sum(map(bench_stack.cpu_seconds, self.replicas))

    def rss(self) -> float:
        return sum(map(bench_stack.rss_mb, self.replicas))

    async def watch_peak(self) -> None:
        while True:
            self.peak = max(self.peak, self.rss())
            await asyncio.sleep(0.5)


async def run_cell(
    cfg: Config,
    sessions: int,
    meter: Meter | None,
    profiler: Callable[[float], Callable[[], list[str]]] | None,
) -> Cell:
    record = Record()
    release = asyncio.Event()
    parked: asyncio.Queue = asyncio.Queue()
    if meter:
        meter.start()
    busy0, client0, t0 = bench_stack.machine_busy_seconds(), time.process_time(), time.monotonic()
    phase = Phase(sessions, t0 + cfg.ramp, cfg.duration)
    starts = [t0 + cfg.ramp * i / sessions for i in range(sessions)]
    peak = asyncio.create_task(meter.watch_peak()) if meter and meter.replicas else None
    viewers = [
        asyncio.create_task(one_viewer(i, cfg, record, starts[i], phase, parked, release))
        for i in range(sessions)
    ]
    await phase.run()
    cpu_at_browse = meter.cpu() if meter and meter.replicas else None
    finish_profile = None
    if profiler is not None:
        finish_profile = profiler(max(1.0, phase.stop_at - time.monotonic()))
    for _ in range(sessions):
        await parked.get()
    end = time.monotonic()
    server_cpu = browse_cpu = rss_growth = peak_growth = helpers_cpu = None
    if meter and meter.replicas:
        server_cpu = meter.cpu() - meter.cpu0
        browse_cpu = meter.cpu() - cpu_at_browse
        rss_growth = meter.rss() - meter.rss0
        peak_growth = max(meter.peak, meter.rss()) - meter.rss0
        helpers_cpu = sum(map(bench_stack.cpu_seconds, meter.helpers)) - meter.helpers0
    busy, client = bench_stack.machine_busy_seconds() - busy0, time.process_time() - client0
    release.set()
    await asyncio.gather(*viewers)
    if peak:
        peak.cancel()
    return Cell(
        "",
        sessions,
        record,
        end - t0,
        end - phase.start_at,
        server_cpu,
        browse_cpu,
        rss_growth,
        peak_growth,
        helpers_cpu,
        client,
        busy,
        finish_profile() if finish_profile else [],
    )


async def warm_up(cfg: Config, viewers: int) -> Record:
    """One visit and one tour of every folder per replica (round robin spreads them) before
    anything is measured: first imports, compiled pages, cold listings and posters decoded for
    the first time are what a replica does once in its life, not what a click costs. (Without
    the tour, a cell with few clicks counted much of the library's poster decoding.)"""
    quick = Config(
        **{**cfg.__dict__, "duration": 0.0, "ramp": 0.0, "think": 0.0, "reload_every": 1}
    )
    record = Record()
    for i in range(viewers):
        release = asyncio.Event()
        release.set()
        phase = Phase(0, 0.0, 0.0)
        await phase.run()
        await one_viewer(10_000 + i, quick, record, 0.0, phase, asyncio.Queue(), release)
        await one_tour(20_000 + i, quick, record)
    return record


# -- profiling -------------------------------------------------------------------------------
def py_spy() -> str:
    found = Path(sys.executable).parent / "py-spy"
    if found.exists():
        return str(found)
    raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")


def make_profiler(pids: tuple[int, ...], out: Path, label: str, gil: bool):
    def start(seconds: float) -> Callable[[], list[str]]:
        procs = []
        files = []
        for pid in pids:
            raw = out / f"{label}-{pid}.txt"
            files.append(raw)
            command = [
                py_spy(),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, int(seconds))),
                "--rate",
                "100",
                "--format",
                "raw",
                "--nonblocking",
                "-o",
                str(raw),
            ] + (["--gil"] if gil else [])
            procs.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            )

        def finish() -> list[str]:
            lines = []
            for proc, raw in zip(procs, files, strict=True):
                try:
                    _, err = proc.communicate(timeout=seconds + 60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, err = proc.communicate()
                if not raw.exists():
                    lines.append(f"py-spy wrote nothing for {raw.name}: {err.decode()[-300:]}")
                    continue
                lines += summarize_profile(raw)
            return lines

        return finish

    return start


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = re.sub(r"^.*/hm-bench-[^/]+/(app|baseline)/", "", match["file"])
    for marker in ("site-packages/", f"{bench_stack.ROOT}/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def summarize_profile(raw: Path, top: int = 14) -> list[str]:
    """The functions with the most samples: inclusive (on the stack) and self (at the top)."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for frame in set(frames[1:]):  # the first entry is the thread
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return [f"{raw.name}: no samples"]
    out = [f"{raw.name}: {total} samples (100 Hz, threads on CPU)", "  inclusive % | function"]
    out += [f"  {100 * c / total:9.1f}   | {f}" for f, c in inclusive.most_common(top)]
    out += ["  self %      | function"]
    out += [f"  {100 * c / total:9.1f}   | {f}" for f, c in own.most_common(top)]
    return out


# -- the table -------------------------------------------------------------------------------
def pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def holds(cell: Cell) -> bool:
    """p95 of every browsing interaction within the limit, and no errors at all."""
    return not sum(cell.record.errors.values()) and all(
        (p := pct(cell.record.seconds[k], 95)) is None or p <= P95_LIMIT for k in BROWSE_KINDS
    )


def _print_rows(head: list[list[str]], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [*head, *rows]) for i in range(len(head[0]))]
    for row in [*head, *rows]:
        print(
            "  ".join(
                [row[0].ljust(widths[0])]
                + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
            )
        )


def print_table(cells: list[Cell], cores: int) -> None:
    """One column per cell (setup, N); times p50/p95 in ms with the count in parentheses."""
    head = [
        *([[""] + [c.version for c in cells]] if any(c.version for c in cells) else []),
        [""] + [c.setup.split(" + ")[0] for c in cells],
        ["p50/p95 ms (count)"] + [f"N={c.sessions}" for c in cells],
    ]
    rows: list[list[str]] = []

    def opt(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    def times(kind: str) -> list[str]:
        return [
            f"{ms(pct(c.record.seconds[kind], 50))}/{ms(pct(c.record.seconds[kind], 95))} "
            f"({len(c.record.seconds[kind])})"
            for c in cells
        ]

    for kind in ("open", "login", "session"):
        rows.append([f"  {kind} (during the ramp)"] + times(kind))
    for kind in (*BROWSE_KINDS, "poster", "media", "progress"):
        rows.append([f"  {kind}"] + times(kind))
    rows.append(
        ["script runs per interaction"]
        + [f"{sum(c.record.runs.values()) / max(1, c.script_done):.2f}" for c in cells]
    )
    rows.append(
        ["browse interactions per second"]
        + [f"{c.browsed / max(c.browse_wall, 1e-9):.1f}" for c in cells]
    )
    rows.append(["errors (all kinds)"] + [str(sum(c.record.errors.values())) for c in cells])
    rows.append(
        [f"browse p95 <= {P95_LIMIT:g} s and no errors"]
        + ["yes" if holds(c) else "NO" for c in cells]
    )
    rows.append(
        ["wall s: whole cell / browsing"] + [f"{c.wall:.0f} / {c.browse_wall:.0f}" for c in cells]
    )
    rows.append(
        ["server CPU s: whole cell / browsing"]
        + [
            "-" if c.server_cpu is None else f"{c.server_cpu:.1f} / {c.browse_cpu:.1f}"
            for c in cells
        ]
    )
    rows.append(
        [f"server CPU browsing, % of {cores} cores"]
        + [
            opt(None if c.browse_cpu is None else 100 * c.browse_cpu / c.browse_wall / cores, ".0f")
            for c in cells
        ]
    )
    rows.append(
        ["server CPU ms per browse interaction"]
        + [
            opt(None if c.browse_cpu is None else 1000 * c.browse_cpu / max(1, c.browsed), ".0f")
            for c in cells
        ]
    )
    rows.append(
        ["RSS growth/session MB: connected/peak"]
        + [
            "-"
            if c.rss_growth is None
            else f"{c.rss_growth / c.sessions:.2f}/{c.rss_peak_growth / c.sessions:.2f}"
            for c in cells
        ]
    )
    rows.append(["HAProxy + Redis CPU s"] + [opt(c.helpers_cpu, ".1f") for c in cells])
    rows.append(["this benchmark's own CPU s"] + [f"{c.client_cpu:.1f}" for c in cells])
    rows.append(["other processes' CPU s"] + [opt(c.other_cpu(), ".1f") for c in cells])
    _print_rows(head, rows)
    for cell in cells:
        for message, count in cell.record.messages.most_common(5):
            print(f"  {cell.version} {cell.setup} N={cell.sessions} error x{count}: {message}")


def print_ratios(one: list[Cell], two: list[Cell], title: str) -> None:
    pairs = [(a, b) for a in one for b in two if a.sessions == b.sessions]
    if not pairs:
        return
    print(f"\n{title}")
    head = [[""] + [f"N={a.sessions}" for a, _ in pairs]]
    rows = []

    def ratio(x: float | None, y: float | None) -> str:
        return "-" if x in (None, 0) or y is None else f"{y / x:.2f}"

    for kind, p in [(k, 95) for k in BROWSE_KINDS] + [("poster", 50), ("poster", 95)]:
        rows.append(
            [f"  {kind} p{p}"]
            + [
                ratio(pct(a.record.seconds[kind], p), pct(b.record.seconds[kind], p))
                for a, b in pairs
            ]
        )
    rows.append(
        ["  server CPU per browse interaction"]
        + [
            ratio(
                a.browse_cpu and a.browse_cpu / max(1, a.browsed),
                b.browse_cpu and b.browse_cpu / max(1, b.browsed),
            )
            for a, b in pairs
        ]
    )
    rows.append(
        ["  browse interactions per second"]
        + [ratio(a.browsed / a.browse_wall, b.browsed / b.browse_wall) for a, b in pairs]
    )
    _print_rows(head, rows)


# -- main ----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="base URL of a running app (or of its load balancer)")
    target.add_argument(
        "--spawn", action="store_true", help="start the servers here, fresh for every cell"
    )
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        default=[1, 10, 50],
        help="concurrent viewers; several values make several cells",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        nargs="+",
        default=[1, 2],
        help="--spawn: 1 = one replica on its own cache; 2+ = behind HAProxy with Redis",
    )
    parser.add_argument("--username", help="login user (--spawn: %(default)s)")
    parser.add_argument("--password", help="login password")
    parser.add_argument(
        "--duration",
        type=float,
        default=60.0,
        help="seconds of browsing after the ramp (default %(default)s)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        help="viewers start (and log in) evenly over this many seconds; "
        "browsing starts after it (default: 0.5 s per viewer, at least "
        "10 s: a login is ~0.3 s of bcrypt)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="mean pause between a viewer's interactions, s (default %(default)s)",
    )
    parser.add_argument(
        "--reload-every",
        type=int,
        default=2,
        help="reload the watch page every this many rounds; 0 never",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds an interaction may take before it counts as an error",
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="with --url: pid of an app server, for its CPU and memory",
    )
    parser.add_argument(
        "--extra-videos",
        type=int,
        default=40,
        help="--spawn: clips (with posters) in an extra folder 'Birthdays'",
    )
    parser.add_argument(
        "--commit",
        help="--spawn: run this commit (checked out in a temporary git "
        "worktree) instead of the working tree, which others may be "
        "editing",
    )
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="--spawn: measure this commit too, cell by cell beside the other, and print "
        "the ratios (after / before)",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        help="--spawn: run the app in this directory (a copy with a fix "
        "applied, say) instead of the working tree",
    )
    parser.add_argument(
        "--streamlit-option",
        action="append",
        default=[],
        metavar="SECTION.NAME=VALUE",
        help="--spawn: a Streamlit config override for every replica, e.g. "
        "runner.postScriptGC=false (to measure a fix before making it)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record the replicas with py-spy during each cell (after the ramp)",
    )
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="with --profile: only samples of threads holding the GIL",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each cell, wait up to this long for the machine to be "
        "busy less than --quiet-cores (others may share it)",
    )
    parser.add_argument("--quiet-cores", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.url and not (args.username and args.password):
        parser.error("--url needs --username and --password")
    if args.commit and args.app_dir:
        parser.error("--commit and --app-dir exclude each other")
    if args.baseline and not args.spawn:
        parser.error("--baseline needs --spawn")
    if args.app_dir and not (args.app_dir / "Home.py").is_file():
        parser.error(f"--app-dir {args.app_dir} has no Home.py")
    if any("=" not in o for o in args.streamlit_option):
        parser.error("--streamlit-option takes SECTION.NAME=VALUE")
    if min(args.sessions) < 1 or min(args.replicas) < 1:
        parser.error("--sessions and --replicas must be at least 1")
    return args


def ramp(args: argparse.Namespace, sessions: int) -> float:
    return args.ramp if args.ramp is not None else max(10.0, 0.5 * sessions)


def config(args: argparse.Namespace, url: str, sessions: int) -> Config:
    return Config(
        url=url,
        username=args.username or SPAWN_USER,
        password=args.password or SPAWN_PASSWORD,
        duration=args.duration,
        ramp=ramp(args, sessions),
        think=args.think,
        reload_every=args.reload_every,
        timeout=args.timeout,
        seed=args.seed,
    )


def measure(
    args,
    cfg: Config,
    sessions: int,
    replicas: tuple[int, ...],
    helpers: tuple[int, ...],
    label: str,
    warm: int,
    version: str = "",
) -> Cell:
    async def go() -> Cell:
        warm_record = await warm_up(cfg, warm)
        if warm_record.errors:
            raise SystemExit(f"the warm-up visit failed: {dict(warm_record.messages)}")
        await asyncio.sleep(2.0)  # let background work of the warm-up settle
        if args.wait_quiet:
            busy = await asyncio.to_thread(
                bench_stack.wait_for_quiet, args.quiet_cores, args.wait_quiet
            )
            print(
                f"[{label}, N={sessions}] machine busy {busy:.2f} cores before the cell", flush=True
            )
        meter = Meter(replicas, helpers) if replicas else None
        profiler = None
        if args.profile and replicas:
            args.profile.mkdir(parents=True, exist_ok=True)
            profiler = make_profiler(
                replicas,
                args.profile,
                f"{re.sub(r'[^a-z0-9]+', '-', label.lower())}-N{sessions}",
                args.profile_gil,
            )
        return await run_cell(cfg, sessions, meter, profiler)

    cell = asyncio.run(go())
    cell.setup, cell.version = label, version
    errors = sum(cell.record.errors.values())
    print(
        f"[{version + ' ' if version else ''}{label}, N={sessions}] {cell.browsed} browse interactions in "
        f"{cell.browse_wall:.0f} s, {errors} errors"
        + (f", server CPU {cell.browse_cpu:.1f} s" if cell.browse_cpu is not None else ""),
        flush=True,
    )
    for line in cell.profile:
        print(line)
    return cell


@contextmanager
def spawned(
    replicas: int,
    library: Path,
    workdir: Path,
    username: str,
    password: str,
    streamlit_options: list[str],
    app: Path,
):
    sys.path.insert(0, str(bench_stack.ROOT))
    from tests.support.accounts import COOKIE_KEY

    app_args = [
        "--media_dir",
        str(library),
        "--username",
        username,
        "--password",
        password,
        "--cookie_key",
        COOKIE_KEY,
        "--trusted_proxies",
        "127.0.0.1",
    ]
    with bench_stack.stack(replicas, app_args, workdir, streamlit_options, app) as running:
        yield running


def _label(commit: str | None) -> str:
    """The commit measured; for the working tree, HEAD and whether it has changes."""
    git = ["git", "-C", str(bench_stack.ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", commit or "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if commit:
        return head
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    return head + ("+changes" if dirty else "") + " (working tree)"


def versions(args, stack: ExitStack, tmp: Path) -> list[tuple[str, Path]]:
    """(label, checkout) of what is measured: the baseline first, if any."""
    measured = (
        (args.app_dir.resolve().name, args.app_dir.resolve())
        if args.app_dir
        else (
            _label(args.commit),
            stack.enter_context(bench_stack.checkout(args.commit, tmp / "app")),
        )
        if args.commit
        else (_label(None), bench_stack.ROOT)
    )
    if not args.baseline:
        return [measured]
    base = stack.enter_context(bench_stack.checkout(args.baseline, tmp / "baseline"))
    return [(_label(args.baseline), base), measured]


def spawn_all(args, results: dict[tuple[str, str], list[Cell]]) -> list[str]:
    """Every cell of the table, each on fresh servers; returns the versions' labels."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hm-bench-")))
        library = bench_stack.make_bench_library(tmp / "library", args.extra_videos)
        apps = versions(args, stack, tmp)
        for replicas in args.replicas:
            for sessions in args.sessions:
                for number, (version, app) in enumerate(apps):
                    with spawned(
                        replicas,
                        library,
                        tmp / f"r{replicas}-n{sessions}-v{number}",
                        args.username or SPAWN_USER,
                        args.password or SPAWN_PASSWORD,
                        args.streamlit_option,
                        app,
                    ) as running:
                        cell = measure(
                            args,
                            config(args, running.url, sessions),
                            sessions,
                            running.replicas,
                            running.helpers,
                            running.label,
                            warm=2 * replicas,
                            version=version if len(apps) > 1 else "",
                        )
                    results[(cell.version, running.label)].append(cell)
        return [v for v, _ in apps]


def main() -> None:
    args = parse_args()
    cores = os.cpu_count() or 1
    results: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    started = time.strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()
    if args.url:
        measured = [args.url]
        label = f"app at {args.url}"
        pids = tuple(args.server_pid)
        for sessions in args.sessions:
            results[("", label)].append(
                measure(args, config(args, args.url, sessions), sessions, pids, (), label, warm=1)
            )
    else:
        measured = spawn_all(args, results)
    options = (
        f", Streamlit options {' '.join(args.streamlit_option)}" if args.streamlit_option else ""
    )
    print(
        f"\nConcurrent viewers of {' and '.join(measured)}{options}, started {started} on "
        f"{cores} cores (load average before: "
        f"{load[0]:.1f}).\nViewers start and log in over the ramp ("
        + ("0.5 s per viewer, at least 10 s" if args.ramp is None else f"{args.ramp:g} s")
        + f"), then browse for {args.duration:g} s: rounds of back/folder/watch, reload "
        f"every {args.reload_every} rounds, think {args.think * 0.5:g}-{args.think * 1.5:g} "
        f"s between interactions."
    )
    print()
    print_table([c for cells in results.values() for c in cells], cores)
    print(
        "Times: a script interaction from its BackMsg to script_finished; an HTTP one per "
        "request, waiting for one of\nthe browser's 6 connections included. '2 replicas': "
        "two sharing one redis-server behind HAProxy\n(round robin, no affinity)."
    )
    print_comparisons(results, measured)
    for version in dict.fromkeys(v for v, _ in results):
        one = results.get((version, "1 replica")) or (results[("", label)] if args.url else [])
        held = [c.sessions for c in one if holds(c)]
        missed = [c.sessions for c in one if not holds(c)]
        if one:
            print(
                f"\n{version + ': ' if version else ''}One replica: p95 <= {P95_LIMIT:g} s with "
                f"no errors at N = {', '.join(map(str, held)) or 'none'}"
                + (f"; not at N = {', '.join(map(str, missed))}" if missed else "")
            )
    busy = [
        c
        for cs in results.values()
        for c in cs
        if (o := c.other_cpu()) is not None and o > 0.25 * c.wall
    ]
    if busy:
        print(
            "Note: other processes used more than a quarter of a core during "
            + ", ".join(f"{c.version} {c.setup} N={c.sessions}".strip() for c in busy)
            + ": those numbers are disturbed."
        )


def print_comparisons(results: dict[tuple[str, str], list[Cell]], measured: list[str]) -> None:
    """Two versions: after / before for each setup; one: each setup against one replica."""
    if len(measured) == 2:
        before, after = measured
        for version, setup in results:
            if version == after and (before, setup) in results:
                print_ratios(
                    results[(before, setup)],
                    results[(after, setup)],
                    f"{after} / {before}, {setup}, same N (< 1: better after)",
                )
        return
    one = results.get(("", "1 replica"))
    for (_, setup), cells in results.items():
        if one and setup != "1 replica":
            print_ratios(one, cells, f"{setup} / 1 replica, same N (< 1: better with two)")


if __name__ == "__main__":
    main()
