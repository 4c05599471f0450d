"""The player's browser assets (hls.js), served by the app itself.

hls.js comes from the npm registry at setup time (`npm ci`), never from a CDN at
run time: a family server may have no route to a CDN, and a third-party script
would see every video URL.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.routing import BaseRoute

from .script_asset import installed_file, script_route, versioned_url

HLS_JS_PATH = "/player/hls.min.js"


def hls_js_file() -> Path:
    """Return the path of the installed hls.min.js, or say how to install it."""
    return installed_file("hls.js", "dist/hls.min.js")


@functools.cache
def hls_js_url() -> str:
    """The URL the player loads hls.js from, versioned so browsers may cache it for long."""
    return versioned_url(HLS_JS_PATH, "hls.js")


def player_routes() -> list[BaseRoute]:
    """Routes for the player's assets, to pass to `st.App(routes=...)`.

    The file is looked up now, not per request, so a missing `npm ci` stops the
    app at start-up with one clear sentence instead of a silent 404 in the player.
    """
    return [script_route(HLS_JS_PATH, hls_js_file())]
