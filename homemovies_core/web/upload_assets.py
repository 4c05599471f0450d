"""tus-js-client, the browser side of resumable uploads, served by the app like hls.js.

It comes from the npm registry at setup (`npm ci`), never from a CDN at run time. The page
asks for `TUS_JS_PATH?v=<version>`, so an upgrade changes the URL and browsers may cache it
for a year.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.routing import BaseRoute

from .script_asset import installed_file, script_route, versioned_url

TUS_JS_PATH = "/uploads/tus.min.js"


def tus_js_file() -> Path:
    return installed_file("tus-js-client", "dist/tus.min.js")


@functools.cache
def tus_js_url() -> str:
    return versioned_url(TUS_JS_PATH, "tus-js-client")


def routes() -> list[BaseRoute]:
    """Looked up now, not per request: a missing `npm ci` stops the app at start-up."""
    return [script_route(TUS_JS_PATH, tus_js_file())]
