"""Our HTTP routes, mounted next to Streamlit's by `st.App` in Home.py.

Streamlit reserves /_stcore/, /media/, /component/ and /static/, so ours live at
/health, /video/..., /player/... and /api/....
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from . import services
from .library import content_type
from .player.assets import player_routes
from .progress import ProgressStore
from .storage.local import LocalStorage

log = logging.getLogger(__name__)

class VideoFileResponse(FileResponse):
    # 1 MiB reads (Starlette's default is 64 KiB): each chunk hops to a worker thread and back
    # through three middleware layers, so bigger chunks move video several times faster.
    chunk_size = 1024 * 1024


async def health(request: Request) -> Response:
    svc = services.get()
    reachable = svc.cache_reachable
    return JSONResponse({
        "status": "ok" if reachable else "degraded",
        "storage": svc.storage.kind,
        "cache": svc.cache.kind,
        "cache_reachable": reachable,
    }, headers={"Cache-Control": "no-store"})


async def video(request: Request) -> Response:
    """Serve a library file to a holder of a valid token; Range requests work (seeking)."""
    storage = services.get().storage
    if not isinstance(storage, LocalStorage):
        return PlainTextResponse("Not found.", status_code=404)
    token = request.path_params["token"]
    name = request.path_params["name"]
    path = storage.authorize(token, name)
    if path is None:
        # One answer for forged, expired, out-of-scope and missing: nothing to probe with.
        return PlainTextResponse("This link is not valid (it may have expired).",
                                 status_code=403)
    return VideoFileResponse(path, media_type=content_type(name), headers={
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
    })


MAX_PROGRESS_BODY = 4096  # a report is ~300 bytes; anything bigger is not our player


def progress_store() -> ProgressStore:
    svc = services.get()
    return ProgressStore(svc.cache, svc.key("progress"))


async def progress(request: Request) -> Response:
    """The player's position report. The signed token names the user and the video, so this
    route can only write the progress of whoever the watch page was drawn for."""
    body = await request.body()
    if len(body) > MAX_PROGRESS_BODY:
        return PlainTextResponse("Too large.", status_code=413)
    try:
        data = json.loads(body)
        token, position, duration = data["token"], data["position"], data.get("duration")
    except (ValueError, TypeError, KeyError):
        return PlainTextResponse("Bad request.", status_code=400)
    store = progress_store()
    owner = store.verify(token) if isinstance(token, str) else None
    if owner is None:
        return PlainTextResponse("Not allowed.", status_code=403)
    try:
        store.record(*owner, position, duration)
    except ValueError:
        return PlainTextResponse("Bad request.", status_code=400)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def middleware() -> list:
    """ASGI middleware for every response the app sends (ours and Streamlit's)."""
    return []


def build() -> list[BaseRoute]:
    return [
        Route("/health", health, methods=["GET", "HEAD"]),
        Route("/video/{token}/{name:path}", video, methods=["GET", "HEAD"]),
        Route("/api/progress", progress, methods=["POST"]),
        *player_routes(),
    ]
