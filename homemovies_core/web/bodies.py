"""Bounded request bodies: every route that reads a body reads it through here.

`await request.body()` reads whatever the client sends before anyone can look at its size:
one unauthenticated 300 MB POST cost the process ~600 MB. Here a declared size over the
limit is refused before a byte is read, and a body without a declared size (chunked) is read
with a running count that stops at the limit. Reading takes at most BODY_SECONDS: a client
that sends a byte now and then held its connection (and a worker's attention) for as long as
it liked.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .. import safe_json

BODY_SECONDS = 10.0  # our bodies are a few KB: even a slow phone sends one in well under this


class BodyError(Exception):
    """A body we will not read or cannot use; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int, *, seconds: float = BODY_SECONDS) -> bytes:
    """The body, at most `limit` bytes, all of it within `seconds`; BodyError(413) past the
    limit, (408) past the time, (400) for a bad length."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 19:
            raise BodyError(400, "Bad request.")
        if int(declared) > limit:
            raise BodyError(413, "Too large.")
    try:
        async with asyncio.timeout(seconds):
            return await _read(request, limit)
    except TimeoutError:
        raise BodyError(408, "Too slow.") from None


async def _read(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    try:
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                size += len(chunk)
                if size > limit:  # the server stops reading the socket when we stop asking
                    raise BodyError(413, "Too large.")
                chunks.append(chunk)
    except ClientDisconnect:
        raise BodyError(400, "Bad request.") from None
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    """The body parsed as JSON, read as `read_body` does; BodyError(400) if it is not JSON."""
    body = await read_body(request, limit)
    try:
        return safe_json.loads(body)  # 2,000 nested "[" fit in 4 KB: depth is bounded there
    except ValueError:
        raise BodyError(400, "Bad request.") from None
