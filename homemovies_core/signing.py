"""Small expiring tokens (URL-safe, no "/"), for playback and API URLs.

Two kinds, both checked in constant time and never raising on odd input:
- `sign`/`verify`: `base64url(json payload) "." base64url(HMAC-SHA256)`. The payload is
  readable; use it where the holder may see what it names (their own progress token).
- `seal`/`unseal`: AES-256-GCM, so the payload is secret as well as tamper-proof. Playback
  URLs of the local backend use it: a share-link holder must not learn folder names.

Each use derives its own key from the settings' secret with a purpose label, so a playback
token can never be replayed as, say, a progress token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import safe_json

# Longer than any token we issue (a sealed 1,000-character object name is ~1,400): anything
# bigger is not ours, and is refused before any decoding or hashing work.
MAX_TOKEN_CHARS = 4096
_NONCE_BYTES = 12


def derive_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    # ASCII only, strictly: the urlsafe alphabet, nothing skipped. Raises ValueError otherwise.
    raw = text.encode("ascii")
    return base64.b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def _payload(data: bytes, now: float | None) -> dict[str, Any] | None:
    try:
        payload = safe_json.loads(data)
    except ValueError:
        return None
    if not isinstance(payload, dict) or type(payload.get("exp")) is not int:
        return None
    if payload["exp"] <= (time.time() if now is None else now):
        return None
    return payload


def _encode(payload: dict[str, Any], expires_at: float) -> bytes:
    return json.dumps(
        {**payload, "exp": int(expires_at)}, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _ascii_token(token: object) -> str | None:
    # Tokens come from URLs and JSON: any text, any length. Only short ASCII can be ours.
    if (
        not isinstance(token, str)
        or not token
        or len(token) > MAX_TOKEN_CHARS
        or not token.isascii()
    ):
        return None
    return token


def sign(key: bytes, payload: dict[str, Any], expires_at: float) -> str:
    body = _b64(_encode(payload, expires_at))
    return f"{body}.{_b64(_mac(key, body.encode()))}"


def verify(key: bytes, token: object, now: float | None = None) -> dict[str, Any] | None:
    """The payload if the token is genuine and unexpired, else None (never raises)."""
    text = _ascii_token(token)
    if text is None or text.count(".") != 1:
        return None
    body, mac = text.split(".")
    # Bytes, not text: `hmac.compare_digest` refuses non-ASCII str with a TypeError.
    if not hmac.compare_digest(mac.encode(), _b64(_mac(key, body.encode())).encode()):
        return None
    try:
        data = _unb64(body)
    except ValueError:
        return None
    return _payload(data, now)


def verify_strings(
    key: bytes, token: object, *fields: str, now: float | None = None
) -> tuple[str, ...] | None:
    """The payload's `fields`, all text, if the token is genuine and unexpired, else None."""
    payload = verify(key, token, now)
    if payload is None or not all(isinstance(payload.get(f), str) for f in fields):
        return None
    return tuple(payload[f] for f in fields)


def seal(key: bytes, payload: dict[str, Any], expires_at: float) -> str:
    """An opaque token: nobody without `key` can read the payload or forge one."""
    nonce = os.urandom(_NONCE_BYTES)
    return _b64(nonce + AESGCM(_aead_key(key)).encrypt(nonce, _encode(payload, expires_at), None))


def unseal(key: bytes, token: object, now: float | None = None) -> dict[str, Any] | None:
    """The payload of a genuine, unexpired sealed token, else None (never raises)."""
    text = _ascii_token(token)
    if text is None:
        return None
    try:
        raw = _unb64(text)
    except (ValueError, binascii.Error):
        return None
    if len(raw) <= _NONCE_BYTES + 16:  # nonce + GCM tag: nothing sealed inside
        return None
    try:
        data = AESGCM(_aead_key(key)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
    except InvalidTag:
        return None
    return _payload(data, now)


def _aead_key(key: bytes) -> bytes:
    # A key of its own: the same purpose key may also be used for HMAC tokens.
    return hmac.new(key, b"aes-256-gcm", hashlib.sha256).digest()
