"""Library: folders in the sidebar, the chosen folder's videos as a grid of cards."""

import math

import streamlit as st

from homemovies_core import services
from homemovies_core.formatting import human_date, human_size
from homemovies_core.library import Kind, Video, folder_title
from homemovies_core.storage.base import StorageError

ROOT_PARAM = "/"  # the query-param value for the root's loose videos ("Unsorted")
CARD_WIDTH = 300

PLACEHOLDER = """<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="#2b3a55"/><stop offset="1" stop-color="#151b2b"/></linearGradient></defs>
<rect width="320" height="180" fill="url(#g)"/>
<circle cx="160" cy="90" r="30" fill="none" stroke="#c9d3e6" stroke-width="4" opacity="0.8"/>
<path d="M150 74 L176 90 L150 106 Z" fill="#c9d3e6" opacity="0.8"/></svg>"""


def folder_param(key: str) -> str:
    return ROOT_PARAM if key == "" else key.rstrip("/")


def folder_key(param: str | None) -> str | None:
    if param is None:
        return None
    return "" if param == ROOT_PARAM else param.strip("/") + "/"


def card(video: Video, poster: bytes | None) -> None:
    with st.container(border=True, width=CARD_WIDTH):
        st.image(poster if poster else PLACEHOLDER, width="stretch")
        st.markdown(f"**{_escape(video.title)}**")
        facts = [f"`{video.badge}`", human_size(video.size), human_date(video.modified)]
        st.caption(" · ".join(f for f in facts if f))
        label = "▶ Play" if video.kind is not Kind.DOWNLOAD else "⬇ Details"
        if st.button(label, key=f"open:{video.key}", width="stretch"):
            st.switch_page("pages/watch.py", query_params={"v": video.key})


def _escape(text: str) -> str:
    # Titles are file names: keep Markdown from reading `*`, `_`, `#`, `[` as formatting.
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in text)


def main() -> None:
    svc = services.get()
    catalog = svc.catalog
    try:
        folders = catalog.folders()
    except StorageError as exc:  # the root could not be listed and nothing was ever cached
        st.error(f"The library could not be read: {exc}")
        return
    if not folders:
        st.info("The library is empty. Add folders of videos to it, then reload this page.")
        return

    keys = [f.key for f in folders]
    by_key = {f.key: f for f in folders}
    wanted = folder_key(st.query_params.get("folder"))
    current = wanted if wanted in by_key else keys[0]

    def label(key: str) -> str:
        count = by_key[key].video_count
        return f"{folder_title(key)}  ·  {count}" if count is not None else folder_title(key)

    choice = st.sidebar.radio("Folders", keys, index=keys.index(current), format_func=label)
    if choice != current or st.query_params.get("folder") != folder_param(choice):
        st.query_params["folder"] = folder_param(choice)
        if choice != current:
            st.query_params.pop("page", None)
        current = choice

    view = catalog.folder_view(current)
    st.title(view.folder.title)
    if view.stale:
        st.warning(f"Could not refresh this folder; showing what was listed earlier. "
                   f"({view.error})" if view.videos else f"This folder could not be read. "
                   f"({view.error})")
    if not view.videos:
        if not view.stale:
            st.info("No videos in this folder yet.")
        return

    page_size = svc.settings.page_size
    pages = max(1, math.ceil(len(view.videos) / page_size))
    try:
        page = min(max(1, int(st.query_params.get("page", "1"))), pages)
    except ValueError:
        page = 1
    shown = list(view.videos[(page - 1) * page_size: page * page_size])
    st.caption(f"{len(view.videos)} videos" + (f" · page {page} of {pages}" if pages > 1 else ""))

    posters = catalog.posters(shown)
    with st.container(horizontal=True, wrap=True, gap="medium"):
        for video in shown:
            card(video, posters.get(video.key))

    if pages > 1:
        prev_col, _, next_col = st.columns([1, 4, 1])
        if page > 1 and prev_col.button("← Previous page", width="stretch"):
            st.query_params["page"] = str(page - 1)
            st.rerun()
        if page < pages and next_col.button("Next page →", width="stretch"):
            st.query_params["page"] = str(page + 1)
            st.rerun()


main()
