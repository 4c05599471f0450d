"""`/poster/<token>`: a card's poster thumbnail, answered by any replica.

Posters used to be handed to `st.image` as bytes, which Streamlit keeps in the memory of the
one process that drew the page: behind a round-robin load balancer the browser's request for
the image could reach another replica and fail. Here the URL carries a signed token naming the
poster, so any replica can read it from the library (small, cached as a thumbnail). The token
is the same all day, so browsers cache the image. It is made for one person and their
password's generation (users.Credentials.generation): it stops working when they are removed
or given a new password, as their sessions do.
"""

from __future__ import annotations

import functools
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import signing
from ..services import Services

DAY = 24 * 3600
MAX_TOKEN = 2048


def poster_url(svc: Services, name: str, *, user: str, now: float | None = None) -> str:
    """A URL for the poster object `name`, for `user`, stable for the rest of the day (and a
    day more)."""
    now = time.time() if now is None else now
    expires = (int(now) // DAY + 2) * DAY
    generation = svc.credentials.generation(user) or ""
    return _signed(svc.key("poster"), name, user, generation, expires)


# Every card of every page draw asks for its poster's URL, and it is the same all day: sign
# each once (a process's derived data; any replica signs the same URL from the same key).
@functools.lru_cache(maxsize=4096)
def _signed(key: bytes, name: str, user: str, generation: str, expires: int) -> str:
    payload = {"p": name, "u": user, "g": generation}
    return "/poster/" + signing.sign(key, payload, expires)


def routes(svc: Services) -> list[BaseRoute]:
    key = svc.key("poster")

    def poster_name(token: str) -> str | None:
        found = (
            signing.verify_strings(key, token, "p", "u", "g") if len(token) <= MAX_TOKEN else None
        )
        if found is None or found[2] != svc.credentials.generation(found[1]):
            return None
        return found[0]

    async def poster(request: Request) -> Response:
        name = poster_name(request.path_params["token"])
        if name is None:
            return PlainTextResponse(
                "This link is not valid (it may have expired).", status_code=403
            )
        # A thumbnail this process made already is answered here; storage and Pillow block,
        # so anything else is fetched off the event loop, which every websocket shares. (The
        # hop to a worker thread and back was most of a cached poster's cost, and under load
        # each hop waits for the GIL.)
        data = svc.catalog.poster_remembered(name)
        if data is None:
            data = await run_in_threadpool(svc.catalog.poster_bytes, name)
        if data is None:
            return PlainTextResponse(
                "No poster.", status_code=404, headers={"Cache-Control": "private, max-age=300"}
            )
        return Response(
            data,
            media_type="image/jpeg",
            headers={
                "Cache-Control": "private, max-age=86400",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )

    return [Route("/poster/{token}", poster, methods=["GET", "HEAD"])]
