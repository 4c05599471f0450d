"""Our HTTP routes, mounted next to Streamlit's by `st.App` in Home.py.

Streamlit reserves /_stcore/, /media/, /component/ and /static/, so ours live at
/health, /video/..., /player/... and /api/....

Every route here answers odd input with a 4xx, reads bodies only through `bodies`, and
never waits on a peer (Redis, OCI) on the event loop.
"""

from __future__ import annotations

import logging

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from . import headers, health, services
from .bodies import BodyError, read_json
from .library import is_download, media_type
from .player.assets import player_routes
from .progress import ProgressStore
from .storage.local import LocalStorage

log = logging.getLogger(__name__)

# Library files are media the app plays, never documents: even one opened in a tab of its own
# runs no script and loads nothing but itself (the browser's media page loads the file again).
VIDEO_CSP = "sandbox; default-src 'none'; media-src 'self'; img-src 'self'"


class VideoFileResponse(FileResponse):
    # 1 MiB reads (Starlette's default is 64 KiB): each chunk hops to a worker thread and back
    # through three middleware layers, so bigger chunks move video several times faster.
    chunk_size = 1024 * 1024


async def health_route(request: Request) -> Response:
    """For load balancers: answers at once from the last background check (see health.py).
    503 until the first check is in, so nothing routes to a replica that has not looked."""
    svc = services.get()
    status = health.monitor_for(svc.cache).latest()
    body = {"storage": svc.storage.kind, "cache": svc.cache.kind}
    if status is None:
        return JSONResponse({"status": "starting", **body, "cache_reachable": None},
                            status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok" if status.reachable else "degraded", **body,
                         "cache_reachable": status.reachable},
                        headers={"Cache-Control": "no-store"})


async def video(request: Request) -> Response:
    """Serve a library file to a holder of a valid token; Range requests work (seeking)."""
    storage = services.get().storage
    name = request.path_params["name"]
    kind = media_type(name)
    if not isinstance(storage, LocalStorage) or kind is None:
        return PlainTextResponse("Not found.", status_code=404)
    path = storage.authorize(request.path_params["token"], name)
    if path is None:
        # One answer for forged, expired, out-of-scope and missing: nothing to probe with.
        return PlainTextResponse("This link is not valid (it may have expired).",
                                 status_code=403)
    # Videos browsers cannot play are downloads ("attachment", under their own name).
    return VideoFileResponse(
        path, media_type=kind, filename=name.rsplit("/", 1)[-1] if is_download(name) else None,
        headers={"Cache-Control": "private, max-age=3600", "Content-Security-Policy": VIDEO_CSP,
                 "X-Content-Type-Options": "nosniff",
                 # The player fetches same-origin and needs no CORS. A video opened in a tab of
                 # its own does: under the sandbox its page has an opaque origin, and Chromium
                 # loads it with crossorigin="anonymous". Harmless: the URL is the credential,
                 # no cookie is involved, and "*" never admits credentialed reads.
                 "Access-Control-Allow-Origin": "*"})


MAX_PROGRESS_BODY = 4096  # a report is ~300 bytes; anything bigger is not our player


def progress_store() -> ProgressStore:
    svc = services.get()
    return ProgressStore(svc.cache, svc.key("progress"))


async def progress(request: Request) -> Response:
    """The player's position report. The signed token names the user and the video, so this
    route can only write the progress of whoever the watch page was drawn for."""
    try:
        data = await read_json(request, MAX_PROGRESS_BODY)
    except BodyError as exc:
        return PlainTextResponse(exc.message, status_code=exc.status)
    if not isinstance(data, dict) or "token" not in data or "position" not in data:
        return PlainTextResponse("Bad request.", status_code=400)
    store = progress_store()
    owner = store.verify(data["token"])
    if owner is None:
        return PlainTextResponse("Not allowed.", status_code=403)
    try:
        store.record(*owner, data["position"], data.get("duration"))
    except ValueError:
        return PlainTextResponse("Bad request.", status_code=400)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def middleware() -> list[Middleware]:
    """ASGI middleware for every response the app sends (ours and Streamlit's)."""
    return headers.middleware()


def build() -> list[BaseRoute]:
    return [
        Route("/health", health_route, methods=["GET", "HEAD"]),
        Route("/video/{token}/{name:path}", video, methods=["GET", "HEAD"]),
        Route("/api/progress", progress, methods=["POST"]),
        *player_routes(),
    ]
