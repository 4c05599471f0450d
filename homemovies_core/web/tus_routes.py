"""`/api/uploads/tus/{id}`: the tus 1.0 core protocol (and its termination extension) for a
local library, spoken by tus-js-client in the browser.

    OPTIONS  what this server speaks (no login needed: it says nothing about anyone)
    HEAD     how many bytes the server has (Upload-Offset) of how many (Upload-Length)
    PATCH    append one chunk at Upload-Offset (Content-Type: application/offset+octet-stream)
    DELETE   terminate: cancel the upload and delete its bytes

Uploads are created by `POST /api/uploads` (upload_routes.py), which also matches a file
chosen again to its upload, so tus's own creation extension is not needed. Every request
carries the login cookie and the upload's token (upload_auth.py). A PATCH never reads past
one chunk (32 MiB) or the file's declared size, gives up on a sender that sends nothing for
a minute, and keeps whatever arrived before a connection broke: the next HEAD says so.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import aclosing

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..services import Services
from ..uploads import tus
from ..uploads.errors import UploadError
from .upload_auth import upload_caller

log = logging.getLogger(__name__)

VERSION = "1.0.0"
OFFSET_TYPE = "application/offset+octet-stream"
IDLE_SECONDS = 60.0  # no byte for this long: the sender is gone
WRITE_BATCH = 4 * 1024 * 1024  # bytes gathered before one write (one hop to a worker thread)
_BASE = {"Tus-Resumable": VERSION, "Cache-Control": "no-store"}


def _answer(status: int, message: str = "", **headers: str) -> Response:
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    if message:
        return PlainTextResponse(message, status_code=status, headers={**_BASE, **extra})
    return Response(status_code=status, headers={**_BASE, **extra})


def _number(text: str | None) -> int | None:
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    return int(text)


def _patch_headers(request: Request) -> tuple[int, int | None]:
    """(Upload-Offset, Content-Length or None), or UploadError with tus's status."""
    if request.headers.get("tus-resumable") != VERSION:
        raise UploadError(f"Only tus {VERSION} is spoken here.", 412)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_TYPE:
        raise UploadError(f"Chunks must be sent as {OFFSET_TYPE}.", 415)
    at = _number(request.headers.get("upload-offset"))
    declared = request.headers.get("content-length")
    length = _number(declared)
    if at is None or (declared is not None and length is None):
        raise UploadError("Bad request.", 400)
    return at, length


async def _copy(request: Request, receiving: tus.Receiving) -> None:
    """Stream the body into the file, in batches, within the chunk limit and the time limits
    (a minute without a byte; the whole PATCH within tus.PATCH_SECONDS)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + tus.PATCH_SECONDS
    room, batch = receiving.room, bytearray()
    try:
        async with aclosing(request.stream()) as stream, asyncio.timeout(None) as limit:
            async for chunk in _with_idle_limit(stream, limit, loop, deadline):
                if len(chunk) > room:
                    raise UploadError("Too large.", 413)
                room -= len(chunk)
                batch += chunk
                if len(batch) >= WRITE_BATCH:
                    await run_in_threadpool(receiving.write, bytes(batch))
                    batch.clear()
    except (TimeoutError, ClientDisconnect):
        pass  # keep what arrived: the browser resumes from the offset HEAD reports
    finally:
        if batch:
            await run_in_threadpool(receiving.write, bytes(batch))


async def _with_idle_limit(stream, limit, loop, deadline):
    limit.reschedule(min(loop.time() + IDLE_SECONDS, deadline))
    async for chunk in stream:
        limit.reschedule(min(loop.time() + IDLE_SECONDS, deadline))
        if chunk:
            yield chunk


def routes(svc: Services) -> list[BaseRoute]:
    uploads = svc.uploads

    async def options(request: Request) -> Response:
        return _answer(
            204,
            Tus_Version=VERSION,
            Tus_Extension="termination",
            Tus_Max_Size=str(uploads.max_bytes),
        )

    async def head(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            at, length = await run_in_threadpool(tus.offset, uploads, user, upload_id)
        except UploadError as exc:
            return _answer(exc.status)  # HEAD answers carry no body
        return _answer(200, Upload_Offset=str(at), Upload_Length=str(length))

    async def patch(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            at, length = _patch_headers(request)
            receiving = await run_in_threadpool(tus.receive, uploads, user, upload_id, at, length)
        except UploadError as exc:
            return _answer(exc.status, exc.message)
        refused = None
        try:
            await _copy(request, receiving)
        except UploadError as exc:
            refused = exc
        finally:
            offset = await run_in_threadpool(receiving.close)
        if refused is not None:
            return _answer(refused.status, refused.message)
        if offset == receiving.record.size:
            await _finish(user, upload_id)
        return _answer(204, Upload_Offset=str(offset))

    async def _finish(user: str, upload_id: str) -> None:
        """Queue the upload now that every byte is here; should that fail (Redis down), the
        page asks again (POST .../complete) and the upload waits until it works."""
        try:
            await run_in_threadpool(uploads.complete, user, upload_id)
        except UploadError as exc:
            log.warning("Upload %s is complete but not queued yet (%d).", upload_id, exc.status)

    async def terminate(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            await run_in_threadpool(uploads.cancel, user, upload_id)
        except UploadError as exc:
            return _answer(exc.status, exc.message)
        return _answer(204)

    path = "/api/uploads/tus/{id}"
    return [
        Route(path, options, methods=["OPTIONS"]),
        Route(path, head, methods=["HEAD"]),
        Route(path, patch, methods=["PATCH"]),
        Route(path, terminate, methods=["DELETE"]),
    ]
