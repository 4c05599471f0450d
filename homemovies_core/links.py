"""Absolute links to our own pages (share links, the pairing page) and QR codes of them.

The app cannot know its public address from configuration alone (a proxy, a load
balancer, a LAN address for the TV), so it uses the address the browser itself shows,
which Streamlit reports as `st.context.url`; request headers are the fallback.
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit

import segno


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
    scheme = "http"
    # X-Forwarded-Proto is believed only from a proxy we trust, like X-Forwarded-For.
    if peer and _trusted(peer, trusted_proxies):
        scheme = lower.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
    return f"{scheme}://{host}"


def _trusted(peer: str, trusted_proxies: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in trusted_proxies)


def page_url(base: str | None, page_path: str, **query: str) -> str:
    """`base/page?query`; a root-relative link when the base is unknown (still works when
    clicked in the same browser)."""
    link = f"{base or ''}/{page_path}"
    return f"{link}?{urlencode(query)}" if query else link


def qr_png(text: str, *, scale: int = 6) -> bytes:
    """A QR code as PNG, dark on white with a quiet zone, as phone cameras read best."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="png", scale=scale, border=3, dark="#000000", light="#ffffff"
    )
    return out.getvalue()


def qr_svg_data_uri(text: str) -> str:
    """The same QR code as an SVG `data:` URL, for pages drawn by any replica."""
    return segno.make(text, error="m").svg_data_uri(
        scale=6, border=3, dark="#000000", light="#ffffff"
    )
