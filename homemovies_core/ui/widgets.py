"""Small Streamlit pieces more than one page draws. (Streamlit-side, like auth.py.)"""

from __future__ import annotations

import streamlit as st

from .. import links, timeline
from ..formatting import human_day, human_duration, human_size
from ..library import Kind, Video, folder_title
from ..library_view import Paging
from ..progress import Progress
from ..services import Services
from ..storage.base import StorageError
from ..web import poster_routes
from . import cards
from .player import SubtitleTrack
from .state import BASE_URL, SESSION

__all__ = [
    "app_url",
    "card",
    "page_buttons",
    "player_extras",
    "poster_url",
    "qr_code",
    "set_url",
    "subtitle_tracks",
]


def app_url(path: str, **query: str) -> str:
    """A link to one of our own pages or routes, as this browser reaches the app."""
    return links.page_url(st.session_state.get(BASE_URL), path.lstrip("/"), **query)


def poster_url(svc: Services, video: Video) -> str | None:
    """The video's poster thumbnail, from a route any replica answers (no playback grant), for
    the person logged in on this tab."""
    session = st.session_state.get(SESSION)
    if not video.poster or session is None:
        return None
    return app_url(poster_routes.poster_url(svc, video.poster, user=session.username))


def card(
    svc: Services,
    video: Video,
    progress: Progress | None,
    *,
    show_folder: bool,
    note: str = "",
    zone=None,
) -> cards.Card:
    """A card: when it was filmed (or, if nobody knows, the file's date), how long it lasts
    (or its size), and `note` ("3 years ago") first."""
    day = timeline.day_of(video, zone)
    length = human_duration(video.duration) if video.duration else human_size(video.size)
    facts = " · ".join(f for f in (note, human_day(day), length) if f)
    fraction = (
        None
        if progress is None or progress.fraction is None
        else (1.0 if progress.finished else progress.fraction)
    )
    return cards.Card(
        key=video.key,
        title=video.title,
        facts=facts,
        badge=video.badge,
        folder=folder_title(video.folder) if show_folder else "",
        poster=poster_url(svc, video),
        progress=fraction,
        download=video.kind is Kind.DOWNLOAD,
    )


def subtitle_tracks(svc: Services, video: Video) -> list[SubtitleTrack]:
    """The video's subtitle files as player tracks (inside an `.hls/` folder they ride on the
    folder's playback URL). May raise StorageError."""
    return [
        SubtitleTrack(
            src=svc.urls.object_url(s.name, within=video), language=s.language, label=s.label
        )
        for s in svc.catalog.hls_subtitles(video)
    ]


def player_extras(svc: Services, video: Video) -> tuple[list[SubtitleTrack], str | None]:
    """The player's subtitle tracks and seek-preview thumbnails (on the folder's grant). May
    raise StorageError, like the video's own URL: callers show their one sentence for it;
    also for a movie whose playlists point outside its folder (references.py), and the
    previews are left out when their index does."""
    problem = svc.references.playlist_problem(video)
    if problem:
        raise StorageError(problem)
    thumbs = svc.catalog.hls_thumbnails(video)
    if thumbs and not svc.references.thumbnails_ok(video, thumbs):
        thumbs = None
    thumbnails = svc.urls.object_url(thumbs, within=video) if thumbs else None
    return subtitle_tracks(svc, video), thumbnails


def set_url(params: dict[str, str]) -> None:
    """For callbacks: write the URL; the run that follows draws from it (see library_view)."""
    st.query_params.from_dict(params)


def page_buttons(paging: Paging, here: dict[str, str], *, back: str, forward: str) -> None:
    """Buttons to the page before (`back`) and after (`forward`) this one; `here` is the rest
    of this view's URL, kept as it is."""
    back_col, _, forward_col = st.columns([1, 4, 1])
    if paging.page > 1:
        back_col.button(
            back, width="stretch", on_click=set_url, args=({**here, "page": str(paging.page - 1)},)
        )
    if paging.page < paging.pages:
        forward_col.button(
            forward,
            width="stretch",
            on_click=set_url,
            args=({**here, "page": str(paging.page + 1)},),
        )


def qr_code(text: str, *, width: int) -> None:
    """A QR code as an inline SVG data URL: no image kept in this process's media store, so
    any replica can draw the page that shows it."""
    st.html(
        f'<img src="{links.qr_svg_data_uri(text)}" width="{int(width)}" '
        f'height="{int(width)}" alt="QR code" style="background:#fff">'
    )
