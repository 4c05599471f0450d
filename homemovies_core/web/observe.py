"""Every HTTP request (ours and Streamlit's) timed, given a request id, and logged in one line.

Pure ASGI, like headers.py: websockets and lifespan pass through untouched and a streamed
video is never buffered. The request id comes from `X-Request-Id` only when a trusted proxy
sent it (throttle.from_trusted_proxy, the one rule for forwarded headers); otherwise one is
made. It is bound for every line logged while the request runs (observability/context.py)
and returned in the response's `X-Request-Id`.

Neither the metric nor the log line carries the path: paths hold tokens (/video/<token>,
/poster/<token>) and names. Both carry the route's name from the fixed table below.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..observability import context
from ..observability.metrics import HTTP_REQUEST_DURATION
from ..throttle import from_trusted_proxy

log = logging.getLogger("homemovies.http")

# Path → route name. Ours first (web/routes.py and the backend's), then Streamlit's.
EXACT = {
    "/health": "health",
    "/metrics": "metrics",
    "/api/progress": "progress",
    "/api/regrant": "regrant",
    "/api/uploads": "uploads",
    "/auth/session": "auth_session",
    "/auth/logout": "auth_logout",
    "/": "page",
    "/favicon.png": "st_static",
    "/manifest.json": "st_static",
    "/_stcore/health": "st_health",
    "/_stcore/script-health-check": "st_health",
    "/_stcore/host-config": "st_host_config",
    "/_stcore/metrics": "st_metrics",
    "/_stcore/stream": "st_stream",
}
PREFIXES = (
    ("/video/", "video"),
    ("/poster/", "poster"),
    ("/player/", "player"),
    ("/api/uploads/tus/", "uploads_tus"),  # one chunk of a video each (tus_routes.py)
    ("/api/uploads/", "uploads"),
    ("/uploads/", "uploads_js"),  # tus-js-client
    ("/_stcore/upload_file/", "st_upload"),
    ("/_stcore/bidi-components/", "st_component"),
    ("/_stcore/", "st_core"),
    ("/component/", "st_component"),
    ("/media/", "st_media"),
    ("/static/", "st_static"),
)
# Streamlit answers /<page name> with its app page (st.navigation's url paths).
_PAGE = re.compile(r"/[a-z0-9_-]{1,64}")
ROUTE_NAMES = frozenset({*EXACT.values(), *(n for _, n in PREFIXES), "other"})
# Polled by load balancers and Prometheus, or fetched many times for each page: answered,
# they are logged at DEBUG, so an operator's INFO log holds what people did.
QUIET_ROUTES = frozenset(
    {
        "health",
        "metrics",
        "poster",
        "player",
        "uploads_js",
        "st_health",
        "st_static",
        "st_component",
    }
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_name(path: str) -> str:
    """The route's name from a fixed set (ROUTE_NAMES): never the path itself."""
    if path in EXACT:
        return EXACT[path]
    for prefix, name in PREFIXES:
        if path.startswith(prefix):
            return name
    return "page" if _PAGE.fullmatch(path) else "other"


class RequestObserver:
    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)

    def request_id(self, scope: Scope) -> str:
        """The proxy's id when a trusted proxy sent a usable one, else a new one."""
        peer = (scope.get("client") or (None,))[0]
        if from_trusted_proxy(peer, self.trusted_proxies):
            given = context.acceptable_request_id(Headers(scope=scope).get("x-request-id"))
            if given is not None:
                return given
        return context.new_request_id()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_name(scope.get("path", ""))
        request_id = self.request_id(scope)
        status = 500  # what the client gets if the app fails before it answers
        started = time.perf_counter()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        with context.bound(request_id=request_id, route=route):
            try:
                await self.app(scope, receive, send_observed)
            finally:
                seconds = time.perf_counter() - started
                HTTP_REQUEST_DURATION.labels(route=route, status=str(status)).observe(seconds)
                method = scope.get("method", "")
                log.log(
                    _level(route, status),
                    "request",
                    extra={
                        "method": method if method in METHODS else "other",
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )


def _level(route: str, status: int) -> int:
    if status >= 500:
        return logging.WARNING
    return logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO


def middleware(trusted_proxies: Sequence[str]) -> list[Middleware]:
    return [Middleware(RequestObserver, trusted_proxies=trusted_proxies)]
