"""Library: search and folders in the sidebar; "Continue watching", then the chosen folder's
videos (or the search results) as a grid of cards."""

import math

import streamlit as st

from homemovies_core import auth, cards, links, navigation, poster_routes, services
from homemovies_core.formatting import human_date, human_size, plain
from homemovies_core.library import Kind, Video, folder_title
from homemovies_core.progress import Progress, ProgressStore
from homemovies_core.search import search
from homemovies_core.storage.base import StorageError

FOLDER = "folder_choice"  # the folder radio's widget key
SYNCED = "folder_synced"  # the folder param last written to (or read from) the URL
ROOT_PARAM = "/"  # the query-param value for the root's loose videos ("Unsorted")
SEARCH = "hm_search"  # the search box's state; mirrored in ?q= so results can be bookmarked
LEAVE_SEARCH = "hm_leave_search"
SEARCH_LIMIT = 100
CONTINUE_LIMIT = 6
WATCH_VISIT = "hm_watch"  # pages/watch.py's per-visit state



def count_caption(count: int | None) -> str:
    if count is None:
        return "…"
    return f"{count} video" if count == 1 else f"{count} videos"


def folder_param(key: str) -> str:
    return ROOT_PARAM if key == "" else key.rstrip("/")


def folder_key(param: str | None) -> str | None:
    if param is None:
        return None
    return "" if param == ROOT_PARAM else param.strip("/") + "/"


def card(video: Video, progress: Progress | None, *, show_folder: bool) -> cards.Card:
    facts = " · ".join(f for f in (human_size(video.size), human_date(video.modified)) if f)
    fraction = None if progress is None or progress.fraction is None else \
        (1.0 if progress.finished else progress.fraction)
    poster = links.page_url(st.session_state.get("hm_base_url"), poster_routes.poster_url(
        services.get(), video.poster).lstrip("/")) if video.poster else None
    return cards.Card(key=video.key, title=video.title, facts=facts, badge=video.badge,
                      folder=folder_title(video.folder) if show_folder else "",
                      poster=poster, progress=fraction, download=video.kind is Kind.DOWNLOAD)


def grid(videos: list[Video], progress: dict[str, Progress], *, row: str,
         show_folder: bool = False, query: str = "", label: str = "Videos") -> None:
    # The row is part of the key: one video may be in "Continue watching" and the grid.
    cards.grid([card(v, progress.get(v.key), show_folder=show_folder) for v in videos],
               key=f"cards:{row}", label=label,
               on_open=lambda key: navigation.go(navigation.WATCH, v=key, q=query))


def continue_watching(svc: services.Services, store: ProgressStore, user: str) -> None:
    entries = store.continue_watching(user, limit=CONTINUE_LIMIT)
    videos, progress = [], {}
    for entry in entries:
        video = svc.catalog.video(entry.video_key)  # gone or renamed: just not shown
        if video is not None and video.kind is not Kind.DOWNLOAD:
            videos.append(video)
            progress[video.key] = entry
    if videos:
        st.subheader("Continue watching")
        grid(videos, progress, row="continue", show_folder=True, label="Continue watching")
        st.divider()


def search_results(svc: services.Services, store: ProgressStore, user: str, query: str) -> None:
    videos, pending = svc.catalog.cached_videos()
    result = search(videos, query, limit=SEARCH_LIMIT, pending_folders=pending)
    top, clear = st.columns([5, 1], vertical_alignment="center")
    top.title(f"Search: {plain(query)}")
    clear.button("✕ Clear search", on_click=clear_search, width="stretch")
    notes = [f"{result.total} video{'s' if result.total != 1 else ''}"]
    if result.total > len(result.videos):
        notes.append(f"showing the first {len(result.videos)}: add a word to narrow it down")
    if result.pending_folders:
        notes.append(f"{result.pending_folders} folder(s) are still being read; search again "
                     f"in a moment for everything")
    st.caption(" · ".join(notes))
    if not result.videos:
        st.info("No video title matches. Try the start of a word from the title.")
        return
    shown = list(result.videos)
    grid(shown, store.many(user, [v.key for v in shown]), row="search", show_folder=True,
         query=query, label="Search results")


def sync_search() -> None:
    query = st.session_state.get(SEARCH, "").strip()
    if query:
        st.query_params["q"] = query
    else:
        st.query_params.pop("q", None)


def clear_search() -> None:
    st.session_state[SEARCH] = ""
    st.query_params.pop("q", None)


def main() -> None:
    st.session_state.pop(WATCH_VISIT, None)  # opening a video again is a new visit: resume anew
    user = auth.require_user()
    svc = services.get()
    store = ProgressStore(svc.cache, svc.key("progress"))
    catalog = svc.catalog
    try:
        folders = catalog.folders()
    except StorageError as exc:  # the root could not be listed and nothing was ever cached
        st.error(f"The library could not be read: {plain(exc)}")
        return
    if not folders:
        st.info("The library is empty. Add folders of videos to it, then reload this page.")
        return

    keys = [f.key for f in folders]
    by_key = {f.key: f for f in folders}
    wanted = folder_key(st.query_params.get("folder"))
    current = wanted if wanted in by_key else keys[0]

    if st.session_state.pop(LEAVE_SEARCH, False):  # a folder was picked during a search
        st.session_state[SEARCH] = ""
    elif SEARCH not in st.session_state:  # a bookmarked or shared ?q=
        st.session_state[SEARCH] = st.query_params.get("q", "")
    query = st.sidebar.text_input("Search", key=SEARCH, placeholder="Search all folders",
                                  on_change=sync_search).strip()
    # The radio's own state is the truth within a session (labels may change under it as
    # counts arrive); the URL seeds it on arrival and whenever it changed from outside
    # (a bookmark, the Back button on the watch page).
    url_folder = st.query_params.get("folder")
    from_url = SYNCED not in st.session_state or url_folder != st.session_state[SYNCED]
    if from_url or st.session_state.get(FOLDER) not in by_key:
        st.session_state[FOLDER] = current
    previous = current if from_url else folder_key(st.session_state[SYNCED])
    # Counts go in captions, not labels: the browser resets a radio whose options change,
    # and on OCI the counts arrive from background listings a moment after the first draw.
    choice = st.sidebar.radio("Folders", keys, format_func=lambda k: plain(folder_title(k)),
                              key=FOLDER,
                              captions=[count_caption(by_key[k].video_count) for k in keys])
    st.session_state[SYNCED] = folder_param(choice)
    if choice != previous or url_folder != folder_param(choice):
        st.query_params["folder"] = folder_param(choice)
        if choice != previous:
            st.query_params.pop("page", None)
            if query:  # picking a folder leaves the search; the box is emptied on the rerun
                st.query_params.pop("q", None)
                st.session_state[LEAVE_SEARCH] = True
                st.rerun()
        current = choice

    if query:
        search_results(svc, store, user, query)
        return
    continue_watching(svc, store, user)
    view = catalog.folder_view(current)
    st.title(plain(view.folder.title))
    if view.stale:
        st.warning(f"Could not refresh this folder; showing what was listed earlier. "
                   f"({plain(view.error)})" if view.videos else f"This folder could not be read. "
                   f"({plain(view.error)})")
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

    grid(shown, store.many(user, [v.key for v in shown]), row="grid",
         label=f"Videos in {view.folder.title}")

    if pages > 1:
        prev_col, _, next_col = st.columns([1, 4, 1])
        if page > 1:
            prev_col.button("← Previous page", width="stretch", on_click=turn_to, args=(page - 1,))
        if page < pages:
            next_col.button("Next page →", width="stretch", on_click=turn_to, args=(page + 1,))


def turn_to(page: int) -> None:
    st.query_params["page"] = str(page)


main()
