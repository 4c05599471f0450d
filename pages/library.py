"""Library: search and folders in the sidebar; "Continue watching", then the chosen folder's
videos (or the search results) as a grid of cards.

What it shows comes from the URL alone (`library_view.read`); the widgets only write the
URL, in their callbacks (see homemovies_core/library_view.py for why)."""

from datetime import datetime

import streamlit as st

from homemovies_core import library_view, services, timeline
from homemovies_core.formatting import count_caption, plain
from homemovies_core.library import Kind, Video, folder_title
from homemovies_core.progress import Progress, ProgressStore
from homemovies_core.search import search
from homemovies_core.storage.base import StorageError
from homemovies_core.ui import auth, cards, navigation, state, widgets
from homemovies_core.ui.being_added import being_added

SEARCH_LIMIT = 100
CONTINUE_LIMIT = 6
MEMORIES_LIMIT = 12
ORDER_LABELS = {"newest": "Newest first", "oldest": "Oldest first", "name": "By name"}


def grid(
    svc: services.Services,
    videos: list[Video],
    *,
    row: str,
    label: str,
    progress: dict[str, Progress] | None = None,
    show_folder: bool = False,
    query: str = "",
    notes: dict[str, str] | None = None,
) -> None:
    """Cards for `videos`; each shows how much of it this person watched."""
    # The row is part of the key: one video may be in "Continue watching" and the grid.
    zone = auth.viewer_zone()
    if progress is None:
        progress = svc.progress.many(auth.require_user(), [v.key for v in videos])
    cards.grid(
        [
            widgets.card(
                svc,
                v,
                progress.get(v.key),
                show_folder=show_folder,
                zone=zone,
                note=(notes or {}).get(v.key, ""),
            )
            for v in videos
        ],
        key=f"cards:{row}",
        label=label,
        link=lambda key: navigation.href(navigation.WATCH, v=key, q=query),
    )


def on_this_day(svc: services.Services) -> None:
    """Videos filmed on this day in earlier years, on the landing view; nothing if none."""
    zone = auth.viewer_zone()
    videos, _pending = svc.catalog.cached_videos()
    today = datetime.now(zone).date()
    memories = timeline.on_this_day(videos, today, zone)[:MEMORIES_LIMIT]
    if memories:
        st.subheader("On this day", anchor=False)
        shown = [m.video for m in memories]
        notes = {m.video.key: m.caption for m in memories}
        grid(svc, shown, row="memories", label="On this day", show_folder=True, notes=notes)
        st.divider()


def continue_watching(svc: services.Services, store: ProgressStore, user: str) -> None:
    videos, progress = [], {}
    for entry in store.continue_watching(user, limit=CONTINUE_LIMIT):
        video = svc.catalog.video(entry.video_key)  # gone or renamed: just not shown
        if video is not None and video.kind is not Kind.DOWNLOAD:
            videos.append(video)
            progress[video.key] = entry
    if videos:
        st.subheader("Continue watching", anchor=False)
        grid(
            svc,
            videos,
            row="continue",
            label="Continue watching",
            progress=progress,
            show_folder=True,
        )
        st.divider()


def search_results(svc: services.Services, query: str, folder: str | None) -> None:
    videos, pending = svc.catalog.cached_videos()
    result = search(videos, query, limit=SEARCH_LIMIT, pending_folders=pending)
    top, clear = st.columns([5, 1], vertical_alignment="center")
    top.title(f"Search: {plain(query)}", anchor=False)
    clear.button(
        "✕ Clear search",
        width="stretch",
        on_click=widgets.set_url,
        args=(library_view.search_params("", folder),),
    )
    notes = [count_caption(result.total)]
    if result.total > len(result.videos):
        notes.append(f"showing the first {len(result.videos)}: add a word to narrow it down")
    if result.pending_folders:
        notes.append(
            f"{result.pending_folders} folder(s) are still being read; search again "
            f"in a moment for everything"
        )
    st.caption(" · ".join(notes))
    if not result.videos:
        st.info("No video title matches. Try the start of a word from the title.")
        return
    shown = list(result.videos)
    grid(svc, shown, row="search", label="Search results", show_folder=True, query=query)


def folder_picked() -> None:
    widgets.set_url(library_view.folder_params(st.session_state[state.FOLDER]))


def search_typed(folder: str | None) -> None:
    widgets.set_url(library_view.search_params(st.session_state.get(state.SEARCH, ""), folder))


def sidebar(folders: list, current: str | None, query: str) -> None:
    keys = [f.key for f in folders]
    # Widgets show what the URL says (set before they are drawn, every run).
    st.session_state[state.SEARCH] = query
    st.session_state[state.FOLDER] = current
    st.sidebar.text_input(
        "Search",
        key=state.SEARCH,
        placeholder="Search all folders",
        max_chars=library_view.MAX_QUERY,
        on_change=search_typed,
        args=(current,),
    )
    # Counts go in captions, not labels: on OCI they arrive from background listings a
    # moment after the first draw, and the browser resets a radio whose options change.
    st.sidebar.radio(
        "Folders",
        keys,
        key=state.FOLDER,
        on_change=folder_picked,
        format_func=lambda k: plain(folder_title(k)),
        captions=[count_caption(f.video_count) for f in folders],
    )


def order_picked(current: str) -> None:
    widgets.set_url(library_view.folder_params(current, st.session_state[state.ORDER]))


def folder_page(
    svc: services.Services,
    store: ProgressStore,
    user: str,
    current: str,
    request: library_view.LibraryRequest,
) -> None:
    if request.landing:
        on_this_day(svc)
    continue_watching(svc, store, user)
    view = svc.catalog.folder_view(current)
    st.title(plain(view.folder.title), anchor=False)
    being_added(svc, current)  # uploads on their way into this folder
    if view.stale:
        st.warning(
            f"This may be out of date: {plain(view.error)}"
            if view.videos
            else f"This folder could not be read. ({plain(view.error)})"
        )
    if not view.videos:
        if not view.stale:
            st.info("No videos in this folder yet.")
        return
    order = timeline.Order.parse(request.sort)
    videos = timeline.ordered(view.videos, order)
    paging = library_view.paging(request.page, len(videos), svc.settings.page_size)
    count, sort = st.columns([3, 1], vertical_alignment="center")
    count.caption(
        count_caption(len(videos))
        + (f" · page {paging.page} of {paging.pages}" if paging.pages > 1 else "")
    )
    with sort:
        order_control(order, current)
    shown = videos[paging.start : paging.stop]
    by_year(svc, view.folder.title, shown, order, store.many(user, [v.key for v in shown]))
    if paging.pages > 1:
        widgets.page_buttons(
            paging,
            library_view.folder_params(current, request.sort),
            back="← Previous page",
            forward="Next page →",
        )


def order_control(order: timeline.Order, current: str) -> None:
    st.session_state[state.ORDER] = order.value  # the control shows what the URL says
    st.selectbox("Order", list(ORDER_LABELS), format_func=ORDER_LABELS.get, key=state.ORDER,
                 label_visibility="collapsed", on_change=order_picked, args=(current,))  # fmt: skip


def by_year(svc: services.Services, folder: str, shown: list[Video], order: timeline.Order,
            progress: dict[str, Progress]) -> None:  # fmt: skip
    """The page's cards under their year headings (one run of cards when sorted by name)."""
    groups = (
        timeline.by_year(shown, auth.viewer_zone())
        if order is not timeline.Order.NAME
        else [timeline.Group("", None, None, tuple(shown))]
    )
    for number, group in enumerate(groups):
        if group.heading and (len(groups) > 1 or group.year is not None):
            st.subheader(plain(group.heading), anchor=False)
        title = f"Videos in {folder}" + (f", {group.heading}" if group.heading else "")
        grid(svc, list(group.videos), row=f"grid:{number}", label=title, progress=progress)


def main() -> None:
    user = auth.require_user()
    svc = services.get()
    store = svc.progress
    try:
        folders = svc.catalog.folders()
    except StorageError as exc:  # the root could not be listed and nothing was ever cached
        st.error(f"The library could not be read: {plain(exc)}")
        return
    if not folders:
        st.info("The library is empty. Add folders of videos to it, then reload this page.")
        return
    request = library_view.read(st.query_params)
    current = library_view.choose_folder(request.folder, [f.key for f in folders])
    sidebar(folders, current, request.query)
    if request.query:
        search_results(svc, request.query, current)
    else:
        folder_page(svc, store, user, current, request)


main()
