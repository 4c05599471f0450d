"""Standard security headers on every HTTP response: ours and Streamlit's own.

Pure ASGI (no BaseHTTPMiddleware): websockets and lifespan pass through untouched, and a
streamed video is never buffered. Only the response's start message is touched.

- `X-Content-Type-Options: nosniff` everywhere: a browser never second-guesses a type.
- `Referrer-Policy: no-referrer` everywhere. Share and device-login pages carry their token
  in the URL, and the app links to nothing that needs to know where a click came from; one
  policy for every page is simpler than a list of pages that carry tokens, and cannot miss
  one added later. (Same-origin POSTs then send `Origin: null`; nothing here checks it.)
- On HTML (every Streamlit page is the same index.html, the login and approve pages
  included): `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'` against clickjacking.
  Streamlit's own component frames (`/component/...`, e.g. the login cookie manager) are
  framed by the app itself, so those may be framed by the same origin only.
- On HTML, a second policy on what a page may load media from and talk to: `img-src`,
  `media-src` and `connect-src` are the app itself (its pages, routes and websocket) and
  the storage the playback URLs point at (the Object Storage endpoint on OCI), plus `data:`
  (QR codes, Streamlit's icons) and `blob:` (hls.js plays through a blob: URL). A planted
  playlist or thumbnails index naming an outside host is refused before the page
  (references.py); this makes the browser refuse it too, whatever the file says by then.
  Scripts and styles are Streamlit's own business and are left alone.
- `Strict-Transport-Security` on every response the browser got over HTTPS (directly, or
  through a proxy in --trusted_proxies that says so): once it has seen the app over HTTPS,
  it never again sends the login cookie or a share token in the clear to this host.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..throttle import forwarded_https

EVERYWHERE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
COMPONENT_FRAME = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
}
COMPONENT_PATH = "/component/"  # Streamlit's route for components.v1 frames
# A year: the usual value, and what browsers' preload lists ask for. No includeSubDomains: the
# family's domain may have other hosts this app knows nothing about.
HSTS = {"Strict-Transport-Security": "max-age=31536000"}


def media_policy(media_origin: str | None) -> str:
    """The pages' CSP for media and connections (see the module's docstring)."""
    storage = f" {media_origin}" if media_origin else ""
    return (
        f"img-src 'self' data: blob:{storage}; media-src 'self' blob:{storage}; "
        f"connect-src 'self'{storage}"
    )


def is_https(scope: Scope, trusted_proxies: Sequence[str]) -> bool:
    """Whether the browser reached the app over HTTPS (see throttle.forwarded_https)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    client = scope.get("client")
    proto = Headers(scope=scope).getlist("x-forwarded-proto")
    return forwarded_https(client[0] if client else None, proto, trusted_proxies)


class SecurityHeaders:
    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: Sequence[str] = (),
        media_origin: str | None = None,
    ) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)
        self.media_policy = media_policy(media_origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        frame = COMPONENT_FRAME if COMPONENT_PATH in scope.get("path", "") else PAGE
        everywhere = {**EVERYWHERE, **(HSTS if is_https(scope, self.trusted_proxies) else {})}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in everywhere.items():
                    headers[name] = value
                if headers.get("content-type", "").lower().startswith("text/html"):
                    headers["X-Frame-Options"] = frame["X-Frame-Options"]
                    # Appended, not set: a policy the page already has stays in force too.
                    headers.append("Content-Security-Policy", frame["Content-Security-Policy"])
                    headers.append("Content-Security-Policy", self.media_policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def middleware(
    trusted_proxies: Sequence[str] = (), media_origin: str | None = None
) -> list[Middleware]:
    return [Middleware(SecurityHeaders, trusted_proxies=trusted_proxies, media_origin=media_origin)]
