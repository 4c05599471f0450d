"""`/auth/session` and `/auth/logout`: the only places the login cookie is written.

The page posts here with a header, never a body (nothing to bound, nothing to parse):
- `POST /auth/session` with `X-HM-Handoff: <one-time id>` answers with the HttpOnly cookie
  for the session the script run just started (see sessions.py), and makes this browser a
  known device of that user (`hm_device`, known_devices.py) unless it is one already;
- `POST /auth/logout` ends the session its cookie names and clears the cookie.

A custom header makes a cross-site form post impossible and a cross-site fetch need a CORS
preflight that we never grant; the cookie is SameSite=Strict, so another site cannot make a
browser send it here either.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..cache import CacheUnavailable
from ..known_devices import COOKIE_NAME as DEVICE_COOKIE
from ..known_devices import DEVICE_SECONDS
from ..services import Services
from ..sessions import COOKIE_NAME, SESSION_SECONDS
from ..throttle import forwarded_https

log = logging.getLogger(__name__)

HANDOFF_HEADER = "x-hm-handoff"


def is_https(request: Request, trusted_proxies) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy that
    says so): the cookie is then marked Secure."""
    return request.url.scheme == "https" or forwarded_https(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-proto"),
        trusted_proxies,
    )


def _cookie(
    response: Response,
    request: Request,
    value: str,
    max_age: int,
    trusted_proxies,
    name: str = COOKIE_NAME,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request, trusted_proxies),
    )


def routes(svc: Services) -> list[BaseRoute]:
    store, trusted, devices = svc.sessions, svc.settings.trusted_proxies, svc.known_devices

    def collect(handoff_id: str) -> tuple[str | None, str | None]:
        """The session cookie for a hand-off id, and its user name."""
        value = store.collect(handoff_id)
        session = store.from_cookie(value) if value else None
        return value, session.username if session else None

    async def session(request: Request) -> Response:
        try:
            value, username = await run_in_threadpool(
                collect, request.headers.get(HANDOFF_HEADER, "")
            )
        except CacheUnavailable as exc:
            return PlainTextResponse(
                str(exc), status_code=503, headers={"Cache-Control": "no-store"}
            )
        if value is None:
            return PlainTextResponse(
                "This login has expired; log in again.",
                status_code=403,
                headers={"Cache-Control": "no-store"},
            )
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        _cookie(response, request, value, SESSION_SECONDS, trusted)
        device = request.cookies.get(DEVICE_COOKIE)
        if username and devices.device_for(device, username) is None:  # a known device now
            value = devices.cookie_value(username)
            _cookie(response, request, value, DEVICE_SECONDS, trusted, DEVICE_COOKIE)
        return response

    async def logout(request: Request) -> Response:
        if HANDOFF_HEADER not in request.headers:  # only our page sends it
            return PlainTextResponse("Not allowed.", status_code=403)
        current = await run_in_threadpool(store.from_cookie, request.cookies.get(COOKIE_NAME))
        if current is not None:
            try:
                await run_in_threadpool(store.end, current.id)
            except CacheUnavailable:
                pass  # the page already said so; the cookie goes all the same
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        _cookie(response, request, "", 0, trusted)
        return response

    return [
        Route("/auth/session", session, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
    ]
