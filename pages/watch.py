"""Watch: one video in our own player, resuming where this user left off; share it;
its folder's previous/next."""

import base64
import time

import streamlit as st

from homemovies_core import auth, links, services
from homemovies_core.formatting import human_date, human_duration, human_size
from homemovies_core.library import Kind, Video, folder_of
from homemovies_core.player import SubtitleTrack, player
from homemovies_core.progress import TOKEN_SECONDS, ProgressStore, resume_position
from homemovies_core.shares import (
    DEFAULT_LIFETIME,
    LIFETIMES,
    ShareStore,
    describe_expiry,
)
from homemovies_core.storage.base import StorageError

VISIT = "hm_watch"  # this visit's start position and progress token (see `visit`)
NEW_LINK = "hm_new_share"


def back_to(folder: str) -> None:
    params = {"folder": "/" if folder == "" else folder.rstrip("/")}
    if st.query_params.get("q"):  # opened from search results: back to them
        params["q"] = st.query_params["q"]
    st.switch_page("pages/library.py", query_params=params)


def visit(store: ProgressStore, user: str, video: Video) -> dict:
    """Start position and progress token, fixed for one visit to one video: the player
    remounts whenever its data changes, so reruns (the share panel, a rerun of any kind)
    must hand it exactly the same values or the video would jump."""
    current = st.session_state.get(VISIT)
    if current is None or current["key"] != video.key or \
            current["token_expires"] - time.time() < 600:
        current = {"key": video.key, "start": resume_position(store.get(user, video.key)),
                   "token": store.token(user, video.key),
                   "token_expires": time.time() + TOKEN_SECONDS - 60}
        st.session_state[VISIT] = current
    return current


def start_over(store: ProgressStore, user: str, video: Video) -> None:
    store.clear(user, video.key)
    st.session_state[VISIT] = {**st.session_state[VISIT], "start": 0.0}


def share_panel(svc: services.Services, user: str, video: Video) -> None:
    with st.popover("🔗 Share", width="stretch"):
        with st.form("share"):
            st.markdown("**Share this video** with someone who has no account.")
            lifetime = st.radio("The link works for", list(LIFETIMES),
                                index=list(LIFETIMES).index(DEFAULT_LIFETIME), horizontal=True)
            password = st.text_input("Password (optional)", type="password",
                                     help="They will have to type it to watch.")
            if st.form_submit_button("Create link", type="primary"):
                token, share = ShareStore(svc.cache).create(
                    video, owner=user, lifetime=LIFETIMES[lifetime], password=password or None)
                url = links.page_url(st.session_state.get("hm_base_url"), "shared", t=token)
                st.session_state[NEW_LINK] = (video.key, url, share.expires, share.protected)
        made = st.session_state.get(NEW_LINK)
        if made and made[0] == video.key:
            _key, url, expires, protected = made
            st.code(url, language=None, wrap_lines=True)
            st.image(links.qr_png(url), width=220)
            st.caption(f"Expires {describe_expiry(expires, time.time(), auth.viewer_zone())}"
                       + (" · asks for the password" if protected else "")
                       + ". Revoke it on the Shared links page.")


def main() -> None:
    svc = services.get()
    key = st.query_params.get("v", "")
    video = svc.catalog.video(key) if key else None
    if video is None:
        st.title("Video not found")
        st.info("This video is not in the library (it may have been moved or renamed).")
        if st.button("← Back to the library"):
            back_to(folder_of(key) if key else "")
        return

    user = auth.require_user()
    top = st.columns([1, 5, 1], vertical_alignment="center")
    if top[0].button("← Back", width="stretch"):
        back_to(video.folder)
    top[1].subheader(video.title)
    if video.kind is not Kind.DOWNLOAD:  # a share link only ever plays in the browser
        with top[2]:
            share_panel(svc, user, video)

    try:
        src = svc.urls.video_url(video)
    except StorageError as exc:
        st.error(f"This video cannot be opened right now: {exc}")
        return

    if video.kind is Kind.DOWNLOAD:
        st.info(f"Browsers cannot play {video.badge} files. Download it and open it in a video "
                f"player such as VLC.")
        st.link_button(f"⬇ Download {video.title}", src)
    else:
        poster_bytes = svc.catalog.posters([video]).get(video.key)
        # The card's cached bytes as a data URL: no extra playback grant just for a poster.
        poster = f"data:image/jpeg;base64,{base64.b64encode(poster_bytes).decode()}" \
            if poster_bytes else None
        subtitles = [SubtitleTrack(src=svc.urls.object_url(s.name, within=video),
                                   language=s.language, label=s.label)
                     for s in svc.catalog.hls_subtitles(video)]
        store = ProgressStore(svc.cache, svc.key("progress"))
        this_visit = visit(store, user, video)
        if this_visit["start"] > 0:
            note, again = st.columns([5, 1], vertical_alignment="center")
            note.caption(f"Resuming at {human_duration(this_visit['start'])}, where you "
                         f"left off.")
            again.button("⏮ Start over", width="stretch", on_click=start_over,
                         args=(store, user, video))
        player(src, kind=video.kind.value, title=video.title, poster=poster,
               start_at=this_visit["start"], subtitles=subtitles,
               force_hlsjs=st.query_params.get("engine") == "hlsjs",
               progress_url=links.page_url(st.session_state.get("hm_base_url"), "api/progress"),
               progress_token=this_visit["token"], key="player")

    facts = [video.badge, human_size(video.size), human_date(video.modified)]
    st.caption(" · ".join(f for f in facts if f))

    siblings = list(svc.catalog.folder_view(video.folder).videos)
    index = next((i for i, v in enumerate(siblings) if v.key == video.key), None)
    if index is not None and len(siblings) > 1:
        prev_col, _, next_col = st.columns([2, 3, 2])
        if index > 0 and prev_col.button(f"⏮ {siblings[index - 1].title}", width="stretch"):
            st.query_params["v"] = siblings[index - 1].key
            st.rerun()
        if index + 1 < len(siblings) and next_col.button(f"{siblings[index + 1].title} ⏭",
                                                          width="stretch"):
            st.query_params["v"] = siblings[index + 1].key
            st.rerun()


main()
