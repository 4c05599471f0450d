"""uvicorn must not believe forwarded headers: the app reads them itself, by one rule.

`streamlit run` serves the app with uvicorn, whose defaults believe X-Forwarded-For and
X-Forwarded-Proto from 127.0.0.1 and ::1 and rewrite the connection's client address and scheme
before any of our code sees them. Behind a forwarder on the same host that adds no header of its
own (ssh -R, stunnel, socat), a client's own forged header would become its address, and
"https" its scheme. Streamlit builds uvicorn's Config itself, without `forwarded_allow_ips`, and
uvicorn reads FORWARDED_ALLOW_IPS before it imports Home.py; what is left is the name uvicorn
looks up right after the import, to wrap the app it loaded. So that name is pointed at a
wrapper that wraps nothing, and the app believes forwarded headers only from a peer in
--trusted_proxies (throttle.client_address, throttle.forwarded_https).
tests/attacks/test_proxy_attacks.py fails if a uvicorn upgrade bypasses this.

The supported switch, uvicorn's FORWARDED_ALLOW_IPS="", is set by run.sh and the Dockerfile;
this module is the backstop for a bare `streamlit run Home.py`, where nothing set it.
"""

from __future__ import annotations

import os

from starlette.types import ASGIApp


def believe_no_forwarded_headers() -> None:
    """Called while uvicorn imports Home.py (see the module's docstring)."""
    import uvicorn.config

    uvicorn.config.ProxyHeadersMiddleware = _as_it_is
    # A Config made after this (none is, today) would read this instead of its default.
    os.environ["FORWARDED_ALLOW_IPS"] = ""


def _as_it_is(app: ASGIApp, trusted_hosts: object = None) -> ASGIApp:
    return app
