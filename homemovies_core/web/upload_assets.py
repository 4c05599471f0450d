"""tus-js-client, the browser side of resumable uploads, served by the app like hls.js.

It comes from the npm registry at setup (`npm ci`), never from a CDN at run time. The page
asks for `TUS_JS_PATH?v=<version>`, so an upgrade changes the URL and browsers may cache it
for a year.
"""

from __future__ import annotations

import functools
import json

from starlette.routing import BaseRoute

from .player_assets import REPO_ROOT
from .script_asset import script_route

TUS_JS_PATH = "/uploads/tus.min.js"
_PACKAGE = REPO_ROOT / "node_modules" / "tus-js-client"


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
    return [script_route(TUS_JS_PATH, tus_js_file())]
