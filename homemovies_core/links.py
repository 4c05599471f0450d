"""Absolute links to our own pages (share links, the pairing page) and QR codes of them.

The app cannot know its public address from configuration alone (a proxy, a load
balancer, a LAN address for the TV), so it uses the address the browser itself shows,
which Streamlit reports as `st.context.url`; request headers are the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit

import segno

from .throttle import forwarded_https


def base_url(
    context_url: str | None,
    page_path: str,
    *,
    headers: Mapping[str, str],
    peer: str | None,
    trusted_proxies: Sequence[str],
) -> str | None:
    """The app's root URL without a trailing "/" ("https://films.example/app"), or None.

    `context_url` is the browser's URL of the current page, whose url path is `page_path`.
    """
    if context_url:
        parts = urlsplit(context_url)
        path = parts.path.rstrip("/")
        if page_path and path.endswith("/" + page_path):
            path = path[: -len(page_path) - 1]
        return f"{parts.scheme}://{parts.netloc}{path}"
    lower = {k.lower(): v for k, v in headers.items()}
    host = lower.get("host")
    if not host:
        return None
    # X-Forwarded-Proto is believed only from a proxy we trust, like X-Forwarded-For.
    proto = [lower["x-forwarded-proto"]] if "x-forwarded-proto" in lower else []
    scheme = "https" if forwarded_https(peer, proto, trusted_proxies) else "http"
    return f"{scheme}://{host}"


def page_url(base: str | None, page_path: str, **query: str) -> str:
    """`base/page?query`; a root-relative link when the base is unknown (still works when
    clicked in the same browser)."""
    link = f"{base or ''}/{page_path}"
    return f"{link}?{urlencode(query)}" if query else link


def qr_svg_data_uri(text: str) -> str:
    """A QR code as an SVG `data:` URL, dark on white with a quiet zone, as phone cameras
    read best; a data URL so that pages drawn by any replica show it."""
    return segno.make(text, error="m").svg_data_uri(
        scale=6, border=3, dark="#000000", light="#ffffff"
    )
