"""Browsers that have logged in before: a signed cookie that outlasts any session.

When a password login or a phone's approval ends in a session, `/auth/session` also gives the
browser `hm_device`, a signed `{device id, user name}` good for 400 days (HttpOnly,
SameSite=Strict, Secure behind HTTPS). Logging out keeps it. It is no credential: the
password is still needed. What it buys is a way past the budgets that a crowd of strangers can
exhaust (login_guard.py): on a known device, failures count per user name and device only,
so the family logs in on their own phones and TVs while a name is being guessed at from
everywhere. Without the cookie key nobody can make one.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from . import signing

COOKIE_NAME = "hm_device"
DEVICE_DAYS = 400  # the longest a browser keeps a cookie (Chromium's cap)
DEVICE_SECONDS = DEVICE_DAYS * 24 * 3600
MAX_COOKIE = 512  # anything longer is not one of ours


class KnownDevices:
    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key, self._clock = key, clock

    def cookie_value(self, username: str) -> str:
        """A new device id, for a browser that has just logged in as `username`."""
        payload = {"d": secrets.token_urlsafe(16), "u": username}
        return signing.sign(self._key, payload, self._clock() + DEVICE_SECONDS)

    def device_for(self, value: str | None, username: str) -> str | None:
        """The device id if `value` is our cookie for a browser that logged in as `username`;
        None for anything else (missing, forged, expired, another user's)."""
        if not value or len(value) > MAX_COOKIE:
            return None
        found = signing.verify_strings(self._key, value, "d", "u", now=self._clock())
        if found is None or found[1] != username:
            return None
        return found[0]
