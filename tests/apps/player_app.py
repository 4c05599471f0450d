"""A bare page with only the player, for browser tests.

Query parameters: src (URL), kind ("hls" | "progressive"), force_hlsjs ("1"),
start (seconds), subs (URL of a .vtt file), thumbs (URL of a seek-preview thumbnails .vtt),
progress ("1": report progress to /progress-test). The button "Redraw with a new token" draws
the same video again with another progress token and start, as a new session would. Files
under $HM_TEST_MEDIA are served at /media-test/<path>; GET /progress-test lists the progress
reports received so far.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from homemovies_core.ui.player import SubtitleTrack, player
from homemovies_core.web.player_assets import player_routes


async def serve_test_media(request: Request) -> Response:
    # Test-only: no signing or expiry, but still no escaping the media folder.
    root = Path(os.environ["HM_TEST_MEDIA"]).resolve()
    path = (root / request.path_params["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(path)  # FileResponse answers Range requests, which <video> makes


# Reports from every test's browser, in arrival order; the server lives for one test session.
PROGRESS_REPORTS: list[dict] = []


async def record_progress(request: Request) -> Response:
    PROGRESS_REPORTS.append(await request.json())
    return JSONResponse({"ok": True})


async def list_progress(request: Request) -> Response:
    return JSONResponse(PROGRESS_REPORTS)


def redraw() -> None:
    """What a new session drawing the same watch page does: a new token, a start position
    from the last progress report."""
    st.session_state["token"] = "test-token-2"
    st.session_state["start"] = 0.7


def main() -> None:
    params = st.query_params
    subs = params.get("subs")
    report = params.get("progress") == "1"
    st.button("Redraw with a new token", on_click=redraw)
    st.caption(f"Drawn with {st.session_state.get('token', 'test-token')}")
    player(
        params.get("src", ""),
        kind=params.get("kind", "progressive"),
        title="Test video",
        start_at=st.session_state.get("start", float(params.get("start", "0"))),
        force_hlsjs=params.get("force_hlsjs") == "1",
        subtitles=[SubtitleTrack(subs, "en", "English")] if subs else (),
        thumbnails=params.get("thumbs"),
        progress_url="/progress-test" if report else None,
        progress_token=st.session_state.get("token", "test-token") if report else None,
        key="player",
    )


# `streamlit run` finds this by reading the file, imports the module to build the
# server (no script context then), and runs the file as the page script per session.
app = st.App(
    "player_app.py",
    routes=[
        *player_routes(),
        Route("/media-test/{path:path}", serve_test_media),
        Route("/progress-test", record_progress, methods=["POST"]),
        Route("/progress-test", list_progress, methods=["GET"]),
    ],
)

if st.runtime.exists():
    main()
