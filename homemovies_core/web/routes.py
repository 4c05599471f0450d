"""Our HTTP routes, mounted next to Streamlit's by `st.App` in Home.py.

Streamlit reserves /_stcore/, /media/, /component/ and /static/, so ours live at
/health, /video/..., /player/... and /api/....

Every route here answers odd input with a 4xx, reads bodies only through `bodies`, and
never waits on a peer (Redis, OCI) on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..progress import ProgressStore
from ..services import Services
from . import (
    headers,
    idle_sockets,
    login_routes,
    metrics_route,
    observe,
    poster_routes,
    regrant_routes,
    tus_routes,
    upload_assets,
    upload_routes,
)
from .bodies import BodyError, read_json
from .player_assets import player_routes

log = logging.getLogger(__name__)

MAX_PROGRESS_BODY = 4096  # a report is ~300 bytes; anything bigger is not our player


def health_endpoint(svc: Services):
    async def health_route(request: Request) -> Response:
        """For load balancers: answers at once from the last background check (health.py).
        503 until the first check is in, so nothing routes to a replica that has not looked."""
        status = svc.health.latest()
        body = {"storage": svc.storage.kind, "cache": svc.cache.kind}
        if status is None:
            return JSONResponse(
                {"status": "starting", **body, "cache_reachable": None},
                status_code=503,
                headers={"Cache-Control": "no-store"},
            )
        return JSONResponse(
            {
                "status": "ok" if status.reachable else "degraded",
                **body,
                "cache_reachable": status.reachable,
            },
            headers={"Cache-Control": "no-store"},
        )

    return health_route


def progress_endpoint(store: ProgressStore):
    async def progress(request: Request) -> Response:
        """The player's position report. The signed token names the user and the video, so
        this route can only write the progress of whoever the watch page was drawn for."""
        try:
            data = await read_json(request, MAX_PROGRESS_BODY)
        except BodyError as exc:
            return PlainTextResponse(exc.message, status_code=exc.status)
        if not isinstance(data, dict) or "token" not in data or "position" not in data:
            return PlainTextResponse("Bad request.", status_code=400)
        owner = store.verify(data["token"])
        if owner is None:
            return PlainTextResponse("Not allowed.", status_code=403)
        try:
            await run_in_threadpool(store.record, *owner, data["position"], data.get("duration"))
        except ValueError:
            return PlainTextResponse("Bad request.", status_code=400)
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    return progress


def middleware(
    trusted_proxies: Sequence[str] = (),
    *,
    media_origin: str | None = None,
    idle_seconds: float = idle_sockets.IDLE_SECONDS,
) -> list[Middleware]:
    """ASGI middleware for every response the app sends (ours and Streamlit's), and for the
    websocket of a page nobody is logged in on; the first wraps the others, so its timing and
    request id cover them too. `media_origin`: where playback URLs point when not at the app
    (Storage.media_origin), for the pages' CSP."""
    return [
        *observe.middleware(trusted_proxies),
        *headers.middleware(trusted_proxies, media_origin),
        Middleware(idle_sockets.IdleSockets, idle_seconds=idle_seconds),
    ]


def build(svc: Services) -> list[BaseRoute]:
    """Every route of ours, answering from `svc` (no global lookups)."""
    return [
        Route("/health", health_endpoint(svc), methods=["GET", "HEAD"]),
        Route("/api/progress", progress_endpoint(svc.progress), methods=["POST"]),
        *svc.storage.routes(),  # the local backend serves /video; OCI serves nothing itself
        *login_routes.routes(svc),
        *poster_routes.routes(svc),
        *regrant_routes.routes(svc),  # a new playback URL for a player whose URL died
        *player_routes(),
        *upload_routes.routes(svc),  # adding videos: the page's API, tus, tus-js-client
        *tus_routes.routes(svc),
        *upload_assets.routes(),
        *metrics_route.routes(svc.settings.metrics_token, svc.jobs.metrics_registry),
    ]
