"""The player's browser assets (hls.js), served by the app itself.

hls.js comes from the npm registry at setup time (`npm ci`), never from a CDN at
run time: a family server may have no route to a CDN, and a third-party script
would see every video URL.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from starlette.routing import BaseRoute

from .script_asset import script_route

# The repository root is the directory holding package.json: homemovies_core/web/ is two below it.
REPO_ROOT = Path(__file__).resolve().parents[2]

HLS_JS_PATH = "/player/hls.min.js"


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
    return [script_route(HLS_JS_PATH, hls_js_file())]
