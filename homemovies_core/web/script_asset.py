"""A browser script from node_modules (hls.js, tus-js-client): where it is installed, its
versioned URL, and its route, served from memory and compressed once.

Streamlit's gzip middleware compresses every text response on every request: hls.js
(~400 KB) cost ~10 ms of CPU for each new viewer, on the event loop every page shares, and
a deploy sends every device at once. Here the file is read and gzipped when the app starts,
and a request only picks the copy its `Accept-Encoding` allows. A response that already says
`Content-Encoding` is left alone by the middleware.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

# The repository root holds package.json; homemovies_core/web/ is two below it.
REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"

# The page asks for `<path>?v=<package version>`, so an upgrade changes the URL and the file
# may be cached for a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"
_MAX_HEADER = 512  # of Accept-Encoding or If-None-Match: a browser sends ~25-40 characters


def installed_file(package: str, relative: str) -> Path:
    """The file `relative` of the npm `package`, or one sentence on how to install it."""
    path = NODE_MODULES / package / relative
    if not path.is_file():
        raise FileNotFoundError(f"{package} is not installed: run `npm ci` in {REPO_ROOT}")
    return path


def versioned_url(url_path: str, package: str) -> str:
    """`url_path?v=<installed version>`, so browsers may cache it for long. Without `npm ci`
    this still answers (unversioned): drawing a page must not fail on it, and the route
    already stops the app at start-up in that case."""
    try:
        version = json.loads((NODE_MODULES / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return url_path
    return f"{url_path}?v={version}"


def accepts_gzip(header: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (`gzip;q=0` refuses it)."""
    for item in header[:_MAX_HEADER].split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower().removeprefix("q=").strip()
        try:
            return not quality or float(quality) > 0
        except ValueError:
            return False
    return False


def script_route(url_path: str, file: Path) -> BaseRoute:
    """A GET/HEAD route at `url_path` for the script `file`, read (and gzipped) now."""
    plain = file.read_bytes()
    packed = gzip.compress(plain, compresslevel=9, mtime=0)
    # Weak: the gzipped and the plain copy are the same script, not the same bytes.
    etag = 'W/"' + hashlib.sha256(plain).hexdigest()[:32] + '"'
    common = {
        "cache-control": CACHE_CONTROL,
        "etag": etag,
        "vary": "Accept-Encoding",
    }

    async def serve(request: Request) -> Response:
        asked = request.headers.get("if-none-match", "")[:_MAX_HEADER]
        if etag in (tag.strip() for tag in asked.split(",")):
            return Response(status_code=304, headers=common)
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            return Response(
                packed,
                media_type="text/javascript",
                headers={**common, "content-encoding": "gzip"},
            )
        return Response(plain, media_type="text/javascript", headers=common)

    return Route(url_path, serve, methods=["GET", "HEAD"])
