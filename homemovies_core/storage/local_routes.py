"""`/video/<token>/<name>`: the local backend's playback route (Range requests: seeking).

Only the local backend serves bytes itself; OCI's playback URLs point at object storage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..media_types import extension, is_download, media_type

# (token, name) -> the file a valid token grants, or None: LocalStorage.authorize. A callable,
# not the class, so this module and local.py do not import each other.
Authorize = Callable[[str, str], Path | None]

# Library files are media the app plays, never documents: even one opened in a tab of its own
# runs no script and loads nothing but itself (the browser's media page loads the file again).
VIDEO_CSP = "sandbox; default-src 'none'; media-src 'self'; img-src 'self'"


class VideoFileResponse(FileResponse):
    # 1 MiB reads (Starlette's default is 64 KiB): each chunk hops to a worker thread and back
    # through three middleware layers, so bigger chunks move video several times faster.
    chunk_size = 1024 * 1024


def _attachment_name(name: str, asked: str | None) -> str | None:
    """The file name to save `name` under, or None to play it in the tab. An asked-for name
    is only a suggestion to the browser, and only with the file's own extension."""
    own = name.rsplit("/", 1)[-1]
    if asked is None:
        return own if is_download(name) else None
    clean = "".join(c for c in asked[:200] if c.isprintable() and c not in '/\\"')
    return clean if clean.strip(" .") and extension(clean) == extension(own) else own


def routes(authorize: Authorize) -> list[BaseRoute]:
    async def video(request: Request) -> Response:
        """Serve a library file to a holder of a valid token."""
        name = request.path_params["name"]
        kind = media_type(name)
        if kind is None:
            return PlainTextResponse("Not found.", status_code=404)
        # Unsealing the token and resolving and statting the file would block the event loop
        # for every segment of every video playing.
        path = await run_in_threadpool(authorize, request.path_params["token"], name)
        if path is None:
            # One answer for forged, expired, out-of-scope and missing: nothing to probe with.
            return PlainTextResponse(
                "This link is not valid (it may have expired).", status_code=403
            )
        # Videos browsers cannot play are downloads ("attachment", under their own name), and
        # so is any file asked for with ?download=<name> ("Download original").
        return VideoFileResponse(
            path,
            media_type=kind,
            filename=_attachment_name(name, request.query_params.get("download")),
            headers={
                "Cache-Control": "private, max-age=3600",
                "Content-Security-Policy": VIDEO_CSP,
                "X-Content-Type-Options": "nosniff",
                # The player fetches same-origin and needs no CORS. A video opened in a
                # tab of its own does: under the sandbox its page has an opaque origin,
                # and Chromium loads it with crossorigin="anonymous". Harmless: the URL
                # is the credential, no cookie is involved, and "*" never admits
                # credentialed reads.
                "Access-Control-Allow-Origin": "*",
            },
        )

    return [Route("/video/{token}/{name:path}", video, methods=["GET", "HEAD"])]
