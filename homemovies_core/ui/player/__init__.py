"""The Home Movies video player: a `<video>` element on st.components.v2.

HLS plays natively where the browser can (Safari, iPadOS, current Chrome and
Edge) and through hls.js elsewhere; hls.js is served by the app itself from
`/player/` (see `web/player_assets.py`). Watch progress is posted by the browser
straight to `progress_url`, so watching never reruns the Streamlit script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ...web.player_assets import hls_js_url

__all__ = ["SubtitleTrack", "player"]

_HERE = Path(__file__).parent

KINDS = ("hls", "progressive")


@dataclass(frozen=True)
class SubtitleTrack:
    """A WebVTT subtitle file for a video."""

    src: str
    language: str  # BCP 47 tag, e.g. "en"; becomes the track's srclang
    label: str  # shown in the browser's subtitle menu


# Declared once at import: Streamlit warns about, and keeps only the last of,
# components registered twice under one name. The JS and CSS are inline strings
# read from disk, because file paths are only allowed for installed packages with
# a manifest (asset_dir), which this repository is not.
_component = st.components.v2.component(
    "homemovies.player",
    html='<div class="hm-player"></div>',
    css=(_HERE / "player.css").read_text(encoding="utf-8"),
    js=(_HERE / "player.js").read_text(encoding="utf-8"),
)


def player(
    src: str,
    *,
    kind: str,
    title: str = "",
    poster: str | None = None,
    start_at: float = 0.0,
    restart: str = "",
    force_hlsjs: bool = False,
    subtitles: Sequence[SubtitleTrack] = (),
    thumbnails: str | None = None,
    progress_url: str | None = None,
    progress_token: str | None = None,
    renew_url: str | None = None,
    renew_token: str | None = None,
    key: str | None = None,
) -> None:
    """Show a video player for `src` and start playing it.

    kind: "hls" for an HLS playlist (.m3u8), "progressive" for a plain file (MP4...).
    start_at: seconds to start from (a saved position); ignored if at the end. A player
        already showing this video keeps playing when only this (or the progress token)
        changes; a new `restart` value starts it again from `start_at` ("Start over").
    force_hlsjs: use hls.js even where the browser plays HLS itself (for tests).
    thumbnails: URL of a WebVTT thumbnails index (`thumbnails.vtt`, see previews.py); its
        tiles are shown above a seek bar of the player's own while the pointer hovers or
        drags. None (or an index that does not load): the player is as without previews.
    progress_url, progress_token: if both are given, the browser POSTs
        {"token", "position", "duration"} as JSON there every ~10 s of playback
        and on pause/end.
    renew_url, renew_token: if both are given, a URL that fails to load is reported there
        as {"token", "src"} (web/regrant_routes.py), and the player goes on with the
        {"src"} it gets back, from where the viewer was.
    key: a stable key keeps the same player across reruns; with a new `src` it
        swaps the video in place.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    data = {
        "src": src,
        "kind": kind,
        "title": title,
        "poster": poster,
        "startAt": max(0.0, float(start_at)),
        "forceHlsjs": bool(force_hlsjs),
        "subtitles": [{"src": t.src, "language": t.language, "label": t.label} for t in subtitles],
        "thumbnails": thumbnails,
        "progressUrl": progress_url,
        "progressToken": progress_token,
        "renewUrl": renew_url,
        "renewToken": renew_token,
        "hlsUrl": hls_js_url(),
        "restart": restart,
    }
    _component(key=key, data=data)
