"""`POST /api/regrant`: a new playback URL for a player whose URL stopped working.

An OCI PAR stops working when its creator is deleted or loses the permission. The app's
PARs are made by its replicas (a container instance's resource principal), and a redeploy
deletes those: a URL cached for up to `par_ttl_hours` may die while it is still handed out.
The player then posts `{"token", "src"}` here and gets `{"src": <a working URL>}` to go on
with. The token is the watch page's progress token (it names the user and the video; the
viewer's login cookie must match it), or, on a share link's page, `share_token`: it names
the share and its video, and works while that share does (not after it expires or is
revoked).

A viewer cannot make the app churn PARs: the route needs one of those tokens, answers with
the URL the Cache already holds when that differs from the one reported, and otherwise
checks the reported URL itself (one ranged GET, at most once per grant every PROBE_SECONDS
across replicas, whoever asks) before it forgets the grant and issues another.
It never fetches a URL a client sent: only the one from its own Cache.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import signing
from ..cache import CacheUnavailable
from ..library import Kind
from ..services import Services
from ..sessions import COOKIE_NAME
from ..shares import Share
from ..storage.base import StorageError
from .bodies import BodyError, read_json

MAX_BODY = 8192  # a token (~200 bytes) and a PAR URL (at most ~3.5 KB with its object name)
PROBE_SECONDS = 30.0  # one check of a grant per this long, whoever asks
PROBE_TIMEOUT = 5.0  # seconds per socket operation: Object Storage answers a 1-byte read at once
DEAD = frozenset({401, 403, 404})  # what a PAR answers once it no longer works
NO_STORE = {"Cache-Control": "no-store"}
SHARE_PURPOSE = "share-regrant"  # the key of share_token, apart from every other token's


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 3xx is an answer here, not a hop
        return None


# The standard library, not requests: urllib3 logs request lines (a PAR URL is a credential)
# at DEBUG level; urllib.request logs nothing.
_OPENER = urllib.request.build_opener(_NoRedirects)


def grant_is_dead(url: str) -> bool:
    """Whether `url` (from our own Cache) answers as a PAR that no longer works. Anything
    else, a timeout or a 5xx included, counts as alive: a new PAR would not help then."""
    if not url.startswith(("https://", "http://")):
        return False  # a local grant: sealed with the shared key, it outlives any replica
    request = urllib.request.Request(url, headers={"Range": "bytes=0-0"})
    try:
        with _OPENER.open(request, timeout=PROBE_TIMEOUT):
            return False  # the status is all we want: no body is read
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code in DEAD
    except (OSError, ValueError):  # URLError, timeouts and refused connections are OSErrors
        return False


def share_token(svc: Services, share: Share) -> str:
    """What a share link's page gives its player to renew the shared video's URL with."""
    payload = {"s": share.id, "v": share.video_key}
    return signing.sign(svc.key(SHARE_PURPOSE), payload, share.expires)


def video_of(svc: Services, token: object, cookie: str | None) -> str | None:
    """The video whose URL this caller may renew: the watch page's, for the person logged in
    it was drawn for; a share link's, while that share is valid. None for anyone else."""
    owner = svc.progress.verify(token)
    if owner is not None:
        session = svc.sessions.from_cookie(cookie)
        return owner[1] if session is not None and session.username == owner[0] else None
    shared = signing.verify_strings(svc.key(SHARE_PURPOSE), token, "s", "v")
    if shared is None:
        return None
    share = svc.shares.get(shared[0])  # revoked or expired: gone
    return share.video_key if share is not None and share.video_key == shared[1] else None


def renew(svc: Services, video_key: str, reported: str) -> tuple[int, dict]:
    """(status, JSON body) for a player of `video_key` whose URL `reported` failed."""
    video = svc.catalog.video(video_key)
    if video is None or video.kind is Kind.DOWNLOAD:
        return 404, {"error": "This video is not in the library any more."}
    grant, current = svc.urls.video_grant(video)
    if current != reported:
        return 200, {"src": current}  # replaced already (by another viewer or replica)
    # Per grant, not per video: the next redeploy's dead grant gets a check of its own.
    if not svc.cache.add(f"par-probe:{grant.id}", "1", PROBE_SECONDS):
        return 409, {"error": "This video's playback URL was checked moments ago."}
    if not grant_is_dead(current):
        return 409, {"error": "This video's playback URL works."}
    svc.urls.forget(grant)
    return 200, {"src": svc.urls.video_url(video)}


def routes(svc: Services) -> list[BaseRoute]:
    async def regrant(request: Request) -> Response:
        try:
            data = await read_json(request, MAX_BODY)
        except BodyError as exc:
            return PlainTextResponse(exc.message, status_code=exc.status)
        if not isinstance(data, dict) or not isinstance(data.get("src"), str):
            return PlainTextResponse("Bad request.", status_code=400)
        cookie = request.cookies.get(COOKIE_NAME)
        try:
            video_key = await run_in_threadpool(video_of, svc, data.get("token"), cookie)
            if video_key is None:
                return PlainTextResponse("Not allowed.", status_code=403)
            status, body = await run_in_threadpool(renew, svc, video_key, data["src"])
        except (StorageError, CacheUnavailable) as exc:
            return JSONResponse({"error": str(exc)}, status_code=503, headers=NO_STORE)
        return JSONResponse(body, status_code=status, headers=NO_STORE)

    return [Route("/api/regrant", regrant, methods=["POST"])]
