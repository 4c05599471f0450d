"""Who is calling an upload route: the login cookie, and the token the page was given.

- No live login session (a logged-out browser, a share-link viewer): 401.
- A login that may not add videos (`--no_uploads`, `--uploaders`): 403 with the reason.
- A token that is missing, forged, expired, another person's or another upload's: 403.
Each answer is one sentence, the same for every way of being wrong.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..services import Services
from ..sessions import COOKIE_NAME
from ..uploads.errors import UploadError
from ..uploads.tokens import EXPIRED

TOKEN_HEADER = "x-hm-upload"
NO_STORE = {"Cache-Control": "no-store"}
LOG_IN = "Log in to add videos."


def answer(error: UploadError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": error.message}, status_code=error.status, headers={**NO_STORE, **(headers or {})}
    )


async def person(svc: Services, request: Request) -> str:
    """The logged-in person who may add videos; UploadError(401/403) otherwise."""
    session = await run_in_threadpool(svc.sessions.from_cookie, request.cookies.get(COOKIE_NAME))
    if session is None or session.username not in svc.credentials:
        raise UploadError(LOG_IN, 401)
    reason = await run_in_threadpool(svc.uploads.refusal, session.username)
    if reason is not None:
        raise UploadError(reason, 403)
    return session.username


async def page_caller(svc: Services, request: Request) -> str:
    """The person, holding a page token of their own (list and start uploads)."""
    user = await person(svc, request)
    if svc.uploads.tokens.page_user(request.headers.get(TOKEN_HEADER)) != user:
        raise UploadError(EXPIRED, 403)
    return user


async def upload_caller(svc: Services, request: Request, upload_id: str) -> str:
    """The person, holding the upload token of `upload_id` (every per-upload route)."""
    user = await person(svc, request)
    if svc.uploads.tokens.upload_of(request.headers.get(TOKEN_HEADER)) != (user, upload_id):
        raise UploadError(EXPIRED, 403)
    return user
