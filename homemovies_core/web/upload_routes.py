"""`/api/uploads`: the Add videos page's own API (JSON), beside the tus route.

    GET    /api/uploads                  this person's uploads (page token)
    POST   /api/uploads                  start, or resume the same file (page token)
    POST   /api/uploads/{id}/link        OCI: a write URL for the browser (upload token)
    POST   /api/uploads/{id}/progress    OCI: bytes sent so far (upload token)
    POST   /api/uploads/{id}/complete    check and queue a finished upload (upload token)
    DELETE /api/uploads/{id}             cancel (upload token)

Every body is bounded (`bodies`); every peer call runs off the event loop; every failure is
one sentence as `{"error": ...}` with a 4xx (or 503 while a peer is down: try again).
"""

from __future__ import annotations

import dataclasses
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..services import Services
from ..uploads import Started
from ..uploads.errors import UploadError
from .bodies import BodyError, read_json
from .upload_auth import NO_STORE, answer, page_caller, upload_caller

log = logging.getLogger(__name__)

MAX_START_BODY = 32 * 1024  # a 4,096-character name, every character \u-escaped, and more
MAX_SMALL_BODY = 256
TUS_PATH = "/api/uploads/tus/"


def _json(payload: object, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers=NO_STORE)


def _started(svc: Services, started: Started) -> dict:
    record = started.record
    return {
        **dataclasses.asdict(svc.uploads.row_of(record)),
        "token": started.token,
        "kind": record.kind,
        "resumed": started.resumed,
        "part_size": svc.uploads.target.part_size(record.size),
        "tus_url": TUS_PATH + record.id,
    }


def routes(svc: Services) -> list[BaseRoute]:
    uploads = svc.uploads

    async def listing(request: Request) -> Response:
        try:
            user = await page_caller(svc, request)
            found = await run_in_threadpool(uploads.listing, user)
        except UploadError as exc:
            return answer(exc)
        # Each with its upload token: Cancel works from any tab or device of this person.
        tokens = uploads.tokens
        listed = [
            {**dataclasses.asdict(r), "token": tokens.upload(user, r.id, r.created)} for r in found
        ]
        return _json({"uploads": listed})

    async def start(request: Request) -> Response:
        try:
            user = await page_caller(svc, request)
            data = await read_json(request, MAX_START_BODY)
            started = await run_in_threadpool(uploads.start, user, data)
            body = await run_in_threadpool(_started, svc, started)
        except BodyError as exc:
            return answer(UploadError(exc.message, exc.status))
        except UploadError as exc:
            return answer(exc)
        return _json(body, 200 if started.resumed else 201)

    async def link(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            url, part = await run_in_threadpool(uploads.write_url, user, upload_id)
        except UploadError as exc:
            return answer(exc)
        return _json({"url": url, "part_size": part})

    async def progress(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            data = await read_json(request, MAX_SMALL_BODY)
            received = data.get("received") if isinstance(data, dict) else None
            await run_in_threadpool(uploads.progress, user, upload_id, received)
        except BodyError as exc:
            return answer(UploadError(exc.message, exc.status))
        except UploadError as exc:
            return answer(exc)
        return Response(status_code=204, headers=NO_STORE)

    async def complete(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            record = await run_in_threadpool(uploads.complete, user, upload_id)
            shown = await run_in_threadpool(uploads.row_of, record)
        except UploadError as exc:
            return answer(exc)
        return _json(dataclasses.asdict(shown))

    async def cancel(request: Request) -> Response:
        upload_id = request.path_params["id"]
        try:
            user = await upload_caller(svc, request, upload_id)
            await run_in_threadpool(uploads.cancel, user, upload_id)
        except UploadError as exc:
            return answer(exc)
        return Response(status_code=204, headers=NO_STORE)

    return [
        Route("/api/uploads", listing, methods=["GET"]),
        Route("/api/uploads", start, methods=["POST"]),
        Route("/api/uploads/{id}/link", link, methods=["POST"]),
        Route("/api/uploads/{id}/progress", progress, methods=["POST"]),
        Route("/api/uploads/{id}/complete", complete, methods=["POST"]),
        Route("/api/uploads/{id}", cancel, methods=["DELETE"]),
    ]
