"""The signed tokens our upload routes ask for, beside the login cookie.

The cookie says who is logged in; a token says what the page was drawn for. The Add videos
page gets a *page token* (this person may start uploads); starting one hands the browser an
*upload token* for that one upload id. A route acts only when the cookie's person and the
token's person are the same, and (per upload) the token's id is the one in the URL. Being
custom headers, neither can be sent by another site's form, and the cookie is SameSite=Strict.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .. import signing

PAGE_SECONDS = 12 * 3600
UPLOAD_SECONDS = 24 * 3600  # as long as the upload may be resumed (records.LIFETIME_SECONDS)
EXPIRED = "This page has expired; reload it and choose the files again."


class UploadTokens:
    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key, self._clock = key, clock

    def page(self, user: str) -> tuple[str, float]:
        """A token for the Add videos page of `user`, and when it expires."""
        expires = self._clock() + PAGE_SECONDS
        return signing.sign(self._key, {"u": user, "k": "page"}, expires), expires

    def upload(self, user: str, upload_id: str, created: float) -> str:
        return signing.sign(self._key, {"u": user, "i": upload_id}, created + UPLOAD_SECONDS)

    def page_user(self, token: object) -> str | None:
        found = signing.verify_strings(self._key, token, "u", "k", now=self._clock())
        return found[0] if found is not None and found[1] == "page" else None

    def upload_of(self, token: object) -> tuple[str, str] | None:
        """(user, upload id) of a genuine, unexpired upload token, else None."""
        found = signing.verify_strings(self._key, token, "u", "i", now=self._clock())
        return (found[0], found[1]) if found is not None else None
