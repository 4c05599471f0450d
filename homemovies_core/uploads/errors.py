"""The one error of the upload side: a sentence for the person, and the HTTP answer it means."""

from __future__ import annotations


class UploadError(Exception):
    """An upload that cannot go on (or start); `message` is one sentence for a person and
    `status` what our routes answer with it (400 bad input, 403 not allowed, 404 no such
    upload, 409 not now, 413 too big, 503 a peer is down: try again)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
