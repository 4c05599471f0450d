"""tus-js-client, the browser side of resumable uploads, served by the app like hls.js.

It comes from the npm registry at setup (`npm ci`), never from a CDN at run time. The page
asks for `TUS_JS_PATH?v=<version>`, so an upgrade changes the URL and browsers may cache it
for a year.
"""

from __future__ import annotations

import functools
import json

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from .player_assets import REPO_ROOT

TUS_JS_PATH = "/uploads/tus.min.js"
_PACKAGE = REPO_ROOT / "node_modules" / "tus-js-client"
_CACHE_CONTROL = "public, max-age=31536000, immutable"


def tus_js_file():
    path = _PACKAGE / "dist" / "tus.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"tus-js-client is not installed: run `npm ci` in {REPO_ROOT}")
    return path


@functools.cache
def tus_js_url() -> str:
    try:
        version = json.loads((_PACKAGE / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return TUS_JS_PATH
    return f"{TUS_JS_PATH}?v={version}"


def routes() -> list[BaseRoute]:
    """Looked up now, not per request: a missing `npm ci` stops the app at start-up."""
    path = tus_js_file()

    async def serve(request: Request) -> Response:
        return FileResponse(
            path, media_type="text/javascript", headers={"cache-control": _CACHE_CONTROL}
        )

    return [Route(TUS_JS_PATH, serve, methods=["GET", "HEAD"])]
