"""A browser tab of a Streamlit app, without a browser: the websocket protocol as the frontend
of Streamlit 1.67 speaks it, for load tests.

Opening a page does what the frontend does (see streamlit/static/.../index.*.js and
streamlit/web/server/starlette/starlette_websocket.py):

1. GET the page's HTML, `/_stcore/host-config` and `/_stcore/health`; the health answer sets
   the `_streamlit_xsrf` cookie (server.enableXsrfProtection).
2. Open `/_stcore/stream` with the subprotocols `["streamlit", <xsrf cookie value>]` and the
   page's Origin: the server compares the second entry with the cookie.
3. Send a `rerun_script` BackMsg: the page's URL path as `page_name` (no page hash yet), its
   query string, the widget values, `context_info.url`, and the hashes of the messages this
   tab has cached (the server then sends a `ref_hash` instead of a cached element again).

Every ForwardMsg is decoded: `new_session` starts a run (its page hash is sent with later
reruns), deltas are the run's elements, `page_info_changed` is the new query string (the URL
the frontend would show), and `script_finished` ends the run, unless it was
FINISHED_EARLY_FOR_RERUN (`st.switch_page`, `st.rerun`): then the next run carries on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit

import aiohttp
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
# The one script_finished status that does not end what a click started: a rerun follows.
_EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
MAX_CACHED = 2000  # the frontend drops old cached messages too; bounded either way


class ProtocolError(Exception):
    """The server did something a browser tab would not have shown a page for."""


@dataclass
class Run:
    """What one interaction drew: the elements of its last script run."""

    seconds: float  # BackMsg sent -> script_finished that ended the interaction
    status: int
    elements: list[Element]
    runs: int  # script runs it took (a page switch is two)
    query_string: str  # the URL's query after the run, as the frontend would show it

    def widgets(self, kind: str) -> list:
        """The `kind` widgets (text_input, button, radio, bidi_component ...) drawn."""
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]

    def widget(self, kind: str, label: str):
        found = [w for w in self.widgets(kind) if w.label == label]
        if not found:
            raise ProtocolError(f"no {kind} labelled {label!r} on the page")
        return found[0]

    def components(self, name: str) -> list[tuple[str, dict]]:
        """(id, data) of each st.components.v2 component named `name` (the end of its
        registered name) drawn in this run."""
        out = []
        for comp in self.widgets("bidi_component"):
            if comp.component_name.endswith(name):  # registered names may get a prefix
                raw = comp.json or comp.mixed.json
                out.append((comp.id, json.loads(raw) if raw else {}))
        return out

    def problems(self) -> list[str]:
        """Exceptions shown on the page (a traceback or a user-facing st.exception)."""
        return [
            f"{e.exception.type}: {e.exception.message}"[:200]
            for e in self.elements
            if e.WhichOneof("type") == "exception"
        ]

    def alerts(self) -> list[str]:
        return [e.alert.body[:200] for e in self.elements if e.WhichOneof("type") == "alert"]


@dataclass
class Tab:
    """One tab: an HTTP client with its own cookies (the browser) and one websocket at a time.

    `http` must have a cookie jar that accepts IP hosts (`aiohttp.CookieJar(unsafe=True)`).
    """

    http: aiohttp.ClientSession
    base: str  # "http://host:port", no trailing slash
    timeout: float = 60.0
    ws: aiohttp.ClientWebSocketResponse | None = None
    page_name: str = ""
    page_hash: str = ""
    query_string: str = ""
    values: dict[str, WidgetState] = field(default_factory=dict)  # what the user typed/picked
    _active: set[str] = field(default_factory=set)  # widget ids drawn by the last run
    _cache: dict[str, ForwardMsg] = field(default_factory=dict)
    _elements: list[Element] = field(default_factory=list)
    _runs: int = 0
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    _finished: asyncio.Queue | None = None
    _reader: asyncio.Task | None = None

    # -- opening a page --------------------------------------------------------------------
    async def open(self, page_name: str = "", query_string: str = "") -> Run:
        """Load `/<page_name>?<query_string>` as a browser would; returns the first run."""
        await self.close()
        self.page_name, self.page_hash, self.query_string = page_name, "", query_string
        self.values.clear()
        self._active.clear()
        await self._get(self.page_url())
        await self._get(f"{self.base}/_stcore/host-config")
        await self._get(f"{self.base}/_stcore/health")
        xsrf = next((c.value for c in self.http.cookie_jar if c.key == XSRF_COOKIE), None)
        if xsrf is None:
            raise ProtocolError("/_stcore/health set no _streamlit_xsrf cookie")
        self.ws = await self.http.ws_connect(
            f"{self.base}/_stcore/stream",
            protocols=("streamlit", xsrf),
            headers={"Origin": self.base},
            max_msg_size=0,
            autoping=True,
            heartbeat=None,
        )
        self._finished = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(self.ws))
        return await self.rerun()

    def page_url(self) -> str:
        return f"{self.base}/{quote(self.page_name)}" + (
            f"?{self.query_string}" if self.query_string else ""
        )

    async def _get(self, url: str) -> None:
        async with self.http.get(url) as response:
            await response.read()
            if response.status != 200:
                raise ProtocolError(f"GET {url} answered {response.status}")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
                pass
            self._reader = None
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    # -- interacting -----------------------------------------------------------------------
    async def rerun(self, triggers: Iterable[WidgetState] = ()) -> Run:
        """Send the widget values (and one-shot `triggers`, e.g. a click) and wait for the run
        that follows to finish."""
        if self.ws is None or self._finished is None:
            raise ProtocolError("the tab is not connected")
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_name = "" if self.page_hash else self.page_name
        state.page_script_hash = self.page_hash
        once = {t.id: t for t in triggers}
        for wid, value in self.values.items():
            if wid in self._active and wid not in once:
                state.widget_states.widgets.append(value)
        state.widget_states.widgets.extend(once.values())
        state.cached_message_hashes.extend(list(self._cache)[-MAX_CACHED:])
        info = state.context_info
        info.url, info.timezone, info.timezone_offset = self.page_url(), "Europe/London", 0
        info.locale, info.is_embedded = "en-GB", False
        while not self._finished.empty():  # nothing from an earlier run may end this one
            self._finished.get_nowait()
        self._runs = 0
        started = time.perf_counter()
        await self.ws.send_bytes(msg.SerializeToString())
        try:
            status = await asyncio.wait_for(self._finished.get(), self.timeout)
        except TimeoutError:
            raise ProtocolError(f"no script_finished within {self.timeout:g} s") from None
        if isinstance(status, Exception):
            raise status
        elapsed = time.perf_counter() - started
        self._active = {w for e in self._elements if (w := _widget_id(e))}
        return Run(elapsed, status, list(self._elements), self._runs, self.query_string)

    async def go(self, href: str) -> Run:
        """Follow a link of the page's own (a video card's `href`, relative to this page) as
        Streamlit's frontend follows a history change: one rerun with that page's hash and
        the link's query string."""
        url = urlsplit(urljoin(self.page_url(), href))
        url_path = unquote(url.path.rsplit("/", 1)[-1])
        if url_path not in self.pages:
            raise ProtocolError(f"a link to an unknown page: {href[:60]!r}")
        self.page_hash, self.page_name = self.pages[url_path], url_path
        self.query_string = url.query
        return await self.rerun()

    async def follow(self, link) -> Run:
        """Click an `st.page_link`: the frontend switches pages itself, with one rerun that
        carries the link's page hash and query string."""
        self.page_hash, self.page_name = link.page_script_hash, link.page
        self.query_string = link.query_string
        return await self.rerun()

    def type_text(self, widget, text: str) -> None:
        self.values[widget.id] = WidgetState(id=widget.id, string_value=text)

    def pick(self, radio, option: str) -> None:
        if option not in radio.options:
            raise ProtocolError(f"{option!r} is not an option of {radio.label!r}")
        self.values[radio.id] = WidgetState(id=radio.id, string_value=option)

    @staticmethod
    def click(button) -> WidgetState:
        return WidgetState(id=button.id, trigger_value=True)

    @staticmethod
    def component_event(component_id: str, event: str, value: object) -> WidgetState:
        """A components-v2 `setTriggerValue(event, value)`, as the frontend aggregates it."""
        return WidgetState(
            id=_make_trigger_id(component_id, "events"),
            json_trigger_value=json.dumps([{"event": event, "value": value}]),
        )

    def _server_set(self, element: Element) -> None:
        """A widget whose value the script set (`st.session_state[key] = ...`) shows that value
        from now on, and the frontend sends it back with later reruns: so does this tab."""
        kind = element.WhichOneof("type")
        if kind == "radio" and element.radio.set_value:
            self.values[element.radio.id] = WidgetState(
                id=element.radio.id, string_value=element.radio.raw_value
            )
        elif kind == "text_input" and element.text_input.set_value:
            self.values[element.text_input.id] = WidgetState(
                id=element.text_input.id, string_value=element.text_input.value
            )

    @staticmethod
    def shown(radio) -> str | None:
        """The option a radio shows."""
        if radio.set_value:
            return radio.raw_value
        return radio.options[radio.default] if radio.HasField("default") else None

    def url(self, path_or_url: str) -> str:
        return urljoin(self.base + "/", path_or_url)

    # -- receiving -------------------------------------------------------------------------
    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        assert self._finished is not None
        try:
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.BINARY:
                    self._handle(frame.data)
                elif frame.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    break
            self._finished.put_nowait(ProtocolError(f"the websocket closed (code {ws.close_code})"))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting interaction
            self._finished.put_nowait(ProtocolError(f"reading the websocket failed: {exc!r}"))

    def _handle(self, payload: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = msg
            if len(self._cache) > MAX_CACHED:
                self._cache.pop(next(iter(self._cache)))
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self._finished.put_nowait(ProtocolError(f"cache miss for {msg.ref_hash}"))
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        if kind == "new_session":
            self._runs += 1
            self._elements = []
            if msg.new_session.page_script_hash:
                self.page_hash = msg.new_session.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            self._elements.append(element)
            self._server_set(element)
        elif kind == "navigation":  # the page this run draws: the frontend's URL path
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
            for page in msg.navigation.app_pages:
                self.pages[page.url_pathname] = page.page_script_hash
                if page.page_script_hash == self.page_hash:
                    self.page_name = "" if page.is_default else page.url_pathname
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self._finished.put_nowait(ProtocolError(f"page not found: {self.page_name!r}"))
        elif kind == "script_finished" and msg.script_finished != _EARLY:
            self._finished.put_nowait(msg.script_finished)


def _widget_id(element: Element) -> str | None:
    kind = element.WhichOneof("type")
    widget = getattr(element, kind, None) if kind else None
    wid = getattr(widget, "id", "") if widget is not None else ""
    return wid or None
