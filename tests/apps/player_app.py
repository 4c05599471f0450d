"""A bare page with only the player, for browser tests.

Query parameters: src (URL), kind ("hls" | "progressive"), force_hlsjs ("1"),
start (seconds), subs (URL of a .vtt file). Files under $HM_TEST_MEDIA are
served at /media-test/<path>.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from homemovies_core.player import SubtitleTrack, player, player_routes


async def serve_test_media(request: Request) -> Response:
    # Test-only: no signing or expiry, but still no escaping the media folder.
    root = Path(os.environ["HM_TEST_MEDIA"]).resolve()
    path = (root / request.path_params["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(path)  # FileResponse answers Range requests, which <video> makes


def main() -> None:
    params = st.query_params
    subs = params.get("subs")
    player(
        params.get("src", ""),
        kind=params.get("kind", "progressive"),
        title="Test video",
        start_at=float(params.get("start", "0")),
        force_hlsjs=params.get("force_hlsjs") == "1",
        subtitles=[SubtitleTrack(subs, "en", "English")] if subs else (),
        key="player",
    )


# `streamlit run` finds this by reading the file, imports the module to build the
# server (no script context then), and runs the file as the page script per session.
app = st.App(
    "player_app.py",
    routes=[*player_routes(), Route("/media-test/{path:path}", serve_test_media)],
)

if st.runtime.exists():
    main()
