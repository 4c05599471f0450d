"""Small HMAC-signed, expiring tokens (URL-safe, no "/"), for playback and API URLs.

A token is `base64url(json payload) "." base64url(HMAC-SHA256)`. Each use derives its own
key from the settings' secret with a purpose label, so a playback token can never be
replayed as, say, a progress token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def derive_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, payload: dict[str, Any], expires_at: float) -> str:
    body = _b64(json.dumps({**payload, "exp": int(expires_at)}, separators=(",", ":"),
                           ensure_ascii=False).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify(key: bytes, token: str, now: float | None = None) -> dict[str, Any] | None:
    """The payload if the token is genuine and unexpired, else None (never raises)."""
    try:
        body, mac = token.split(".")
        expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        return None
    if payload["exp"] <= (time.time() if now is None else now):
        return None
    return payload
