"""GET /metrics: the Prometheus text format, for whoever holds the token.

Off (404) unless a token is configured (--metrics_token_file); then only
`Authorization: Bearer <token>` gets the figures, and anything else a bare 401 that says
nothing about why. The token is compared as bytes in constant time, like every token here.
The route is always ours, so /metrics never falls through to Streamlit's app page.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

NO_STORE = {"Cache-Control": "no-store"}


def authorized(header: str | None, token: bytes) -> bool:
    """Whether an Authorization header carries the bearer `token`."""
    scheme, _, given = (header or "").partition(" ")
    # Starlette decodes header bytes as latin-1: encoding them back gives the bytes sent.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode("latin-1"), token)


def metrics_endpoint(token: str | None, registry=REGISTRY):
    """`registry`: what to render; the app's counts the job queue first (jobs/gauges.py)."""
    expected = token.encode() if token else None

    async def metrics(request: Request) -> Response:
        if expected is None:
            return PlainTextResponse("Not found.", status_code=404, headers=NO_STORE)
        if not authorized(request.headers.get("authorization"), expected):
            return PlainTextResponse(
                "Unauthorized.",
                status_code=401,
                headers={**NO_STORE, "WWW-Authenticate": "Bearer"},
            )
        # In a thread: the sessions gauge asks Streamlit's runtime, which takes locks.
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)

    return metrics


def routes(token: str | None, registry=REGISTRY) -> list[BaseRoute]:
    return [Route("/metrics", metrics_endpoint(token, registry), methods=["GET"])]
