"""The player's browser assets (hls.js), served by the app itself.

hls.js comes from the npm registry at setup time (`npm ci`), never from a CDN at
run time: a family server may have no route to a CDN, and a third-party script
would see every video URL.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

# The repository root is the directory holding package.json: homemovies_core/web/ is two below it.
REPO_ROOT = Path(__file__).resolve().parents[2]

HLS_JS_PATH = "/player/hls.min.js"

# The player asks for `HLS_JS_PATH?v=<hls.js version>` (see `hls_js_url`), so an
# upgrade changes the URL and the file can be cached for a year.
_CACHE_CONTROL = "public, max-age=31536000, immutable"


def hls_js_file() -> Path:
    """Return the path of the installed hls.min.js, or say how to install it."""
    path = REPO_ROOT / "node_modules" / "hls.js" / "dist" / "hls.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"hls.js is not installed: run `npm ci` in {REPO_ROOT}")
    return path


@functools.cache
def hls_js_url() -> str:
    """The URL the player loads hls.js from, versioned so browsers may cache it for long.

    Without `npm ci` this still answers (unversioned): drawing a page must not fail
    on it, and `player_routes()` already stops the app at start-up in that case.
    """
    try:
        package = json.loads((REPO_ROOT / "node_modules" / "hls.js" / "package.json").read_text())
    except (OSError, ValueError):
        return HLS_JS_PATH
    return f"{HLS_JS_PATH}?v={package['version']}"


def player_routes() -> list[BaseRoute]:
    """Routes for the player's assets, to pass to `st.App(routes=...)`.

    The file is looked up now, not per request, so a missing `npm ci` stops the
    app at start-up with one clear sentence instead of a silent 404 in the player.
    """
    path = hls_js_file()

    async def serve_hls_js(request: Request) -> Response:
        return FileResponse(
            path,
            media_type="text/javascript",
            headers={"cache-control": _CACHE_CONTROL},
        )

    return [Route(HLS_JS_PATH, serve_hls_js, methods=["GET", "HEAD"])]
