"""Watch: one video in our own player, resuming where this user left off; share it;
its folder's previous/next."""

import time

import streamlit as st

from homemovies_core import library_view, services, timeline
from homemovies_core.cache import CacheUnavailable
from homemovies_core.formatting import human_day, human_duration, human_size, plain
from homemovies_core.library import Kind, Video, folder_of
from homemovies_core.progress import TOKEN_SECONDS, ProgressStore, resume_position
from homemovies_core.shares import DEFAULT_LIFETIME, LIFETIMES, describe_expiry
from homemovies_core.storage.base import StorageError
from homemovies_core.ui import auth, navigation, widgets
from homemovies_core.ui.originals import download_button
from homemovies_core.ui.player import SubtitleTrack, player
from homemovies_core.ui.state import NEW_LINK, SHARE_LIFETIME, SHARE_OPEN, SHARE_PASSWORD
from homemovies_core.ui.state import WATCH_VISIT as VISIT


def back_to(where, folder: str, label: str, width="content") -> None:
    """The way back: a link to the folder (or the search) this video was opened from."""
    navigation.link(
        where,
        navigation.LIBRARY,
        label,
        width=width,
        folder=library_view.folder_param(folder),
        q=st.query_params.get("q", ""),
    )


def open_video(key: str) -> None:
    st.query_params["v"] = key


def visit(store: ProgressStore, user: str, video: Video) -> dict:
    """Start position and progress token, fixed for one visit to one video: the player
    remounts whenever its data changes, so reruns (the share panel, a rerun of any kind)
    must hand it exactly the same values or the video would jump. A visit is one person's:
    someone else logged in on this tab starts their own."""
    current = st.session_state.get(VISIT)
    if (
        current is None
        or current.get("user") != user
        or current["key"] != video.key
        or current["token_expires"] - time.time() < 600
    ):
        current = {
            "user": user,
            "key": video.key,
            "start": resume_position(store.get(user, video.key)),
            "token": store.token(user, video.key),
            "token_expires": time.time() + TOKEN_SECONDS - 60,
        }
        st.session_state[VISIT] = current
    return current


def start_over(svc: services.Services, video: Video) -> None:
    user = auth.acting_user(svc)  # before the login gate: is this tab still logged in?
    if user is None:
        return
    svc.progress.clear(user, video.key)
    st.session_state[VISIT] = {
        **st.session_state[VISIT],
        "start": 0.0,
        "restart": str(time.time_ns()),
    }


def create_link(svc: services.Services, video: Video) -> None:
    """The Create link button's callback (runs before the script: the click always counts;
    and before the login gate, so it asks whether this tab's session is still live)."""
    user = auth.acting_user(svc)
    if user is None:
        return
    lifetime = st.session_state.get(SHARE_LIFETIME) or DEFAULT_LIFETIME
    password = st.session_state.get(SHARE_PASSWORD) or None
    st.session_state[SHARE_PASSWORD] = ""
    try:
        token, share = svc.shares.create(
            video, owner=user, lifetime=LIFETIMES[lifetime], password=password
        )
    except (ValueError, CacheUnavailable) as exc:  # a password bcrypt cannot take; no Redis
        st.session_state[NEW_LINK] = (video.key, None, str(exc), False)
        return
    url = widgets.app_url("shared", t=token)
    st.session_state[NEW_LINK] = (video.key, url, share.expires, share.protected)


def share_panel(svc: services.Services, video: Video) -> None:
    # Its form is drawn only while it is open (opening it reruns the page): closed, as it
    # nearly always is, it would be most of what every draw of this page sends.
    panel = st.popover("🔗 Share", width="stretch", on_change="rerun", key=SHARE_OPEN)
    if not panel.open:
        return
    with panel:
        with st.form("share"):
            st.markdown("**Share this video** with someone who has no account.")
            st.radio(
                "The link works for",
                list(LIFETIMES),
                key=SHARE_LIFETIME,
                index=list(LIFETIMES).index(DEFAULT_LIFETIME),
                horizontal=True,
            )
            st.text_input(
                "Password (optional)",
                type="password",
                key=SHARE_PASSWORD,
                max_chars=72,
                help="They will have to type it to watch.",
            )
            st.form_submit_button(
                "Create link", type="primary", on_click=create_link, args=(svc, video)
            )
        made = st.session_state.get(NEW_LINK)
        if made and made[0] == video.key:
            _key, url, expires, protected = made
            if url is None:
                st.error(plain(expires))
                return
            st.code(url, language=None, wrap_lines=True)
            widgets.qr_code(url, width=220)
            st.caption(
                f"Expires {describe_expiry(expires, time.time(), auth.viewer_zone())}"
                + (" · asks for the password" if protected else "")
                + ". Revoke it on the Shared links page."
            )


def play(
    svc: services.Services,
    user: str,
    video: Video,
    src: str,
    extras: tuple[list[SubtitleTrack], str | None],
) -> None:
    """The player, starting where this user left off, with "Start over"; `extras` are its
    subtitles and seek previews (widgets.player_extras)."""
    store = svc.progress
    this_visit = visit(store, user, video)
    if this_visit["start"] > 0:
        note, again = st.columns([5, 1], vertical_alignment="center")
        note.caption(f"Resuming at {human_duration(this_visit['start'])}, where you left off.")
        again.button("⏮ Start over", width="stretch", on_click=start_over, args=(svc, video))
    subtitles, thumbnails = extras
    player(
        src,
        kind=video.kind.value,
        title=video.title,
        poster=widgets.poster_url(svc, video),
        start_at=this_visit["start"],
        restart=this_visit.get("restart", ""),
        subtitles=subtitles,
        thumbnails=thumbnails,
        force_hlsjs=st.query_params.get("engine") == "hlsjs",
        progress_url=widgets.app_url("api/progress"),
        progress_token=this_visit["token"],
        renew_url=widgets.app_url("api/regrant"),  # with the same token and the login cookie
        renew_token=this_visit["token"],
        key="player",
    )


def facts(video: Video) -> str:
    """When it was filmed (or the file's date, if nobody knows), how long, how big."""
    day = timeline.day_of(video, auth.viewer_zone())
    size = f"{video.width}×{video.height}" if video.width and video.height else ""
    parts = [
        video.badge,
        human_day(day),
        human_duration(video.duration) if video.duration else "",
        size,
        human_size(video.size),
    ]
    return " · ".join(p for p in parts if p)


def neighbours(svc: services.Services, video: Video) -> None:
    """The previous and next video of its folder, in the folder's order (newest first)."""
    siblings = timeline.ordered(svc.catalog.folder_view(video.folder).videos)
    index = next((i for i, v in enumerate(siblings) if v.key == video.key), None)
    if index is None or len(siblings) < 2:
        return
    prev_col, _, next_col = st.columns([2, 3, 2])
    if index > 0:
        before = siblings[index - 1]
        prev_col.button(
            f"⏮ {plain(before.title)}", width="stretch", on_click=open_video, args=(before.key,)
        )
    if index + 1 < len(siblings):
        after = siblings[index + 1]
        next_col.button(
            f"{plain(after.title)} ⏭", width="stretch", on_click=open_video, args=(after.key,)
        )


def main() -> None:
    user = auth.require_user()  # before the library is touched: no oracle for file names
    svc = services.get()
    key = st.query_params.get("v", "")[:1024]
    video = svc.catalog.video(key) if key else None
    if video is None:
        st.title("Video not found", anchor=False)
        st.info("This video is not in the library (it may have been moved or renamed).")
        back_to(st, folder_of(key) if key else "", "← Back to the library")
        return

    # The title row is shown first but filled last: the player goes out to the browser
    # before the title row's widgets, so the video starts loading sooner.
    header = st.container()
    try:
        src = svc.urls.video_url(video)
        # Subtitles and seek previews need grants too: one that fails is the same error.
        extras = None if video.kind is Kind.DOWNLOAD else widgets.player_extras(svc, video)
    except StorageError as exc:
        st.error(f"This video cannot be opened right now: {plain(exc)}")
    else:
        body(svc, user, video, src, extras)
    with header:
        title_row(svc, video)


def body(svc: services.Services, user: str, video: Video, src: str, extras) -> None:
    """The player (or the download), then what the video is and its neighbours."""
    if video.kind is Kind.DOWNLOAD:
        st.info(
            f"Browsers cannot play {video.badge} files. Download it and open it in a video "
            f"player such as VLC."
        )
        st.link_button(f"⬇ Download {plain(video.title)}", src)
    else:
        play(svc, user, video, src, extras)
        try:
            download_button(svc, video)  # a movie added from a browser keeps its original
        except StorageError as exc:
            st.caption(f"The original cannot be downloaded right now: {plain(exc)}")
    st.caption(facts(video))
    neighbours(svc, video)


def title_row(svc: services.Services, video: Video) -> None:
    """← Back, the title, and the Share panel."""
    top = st.columns([1, 5, 1], vertical_alignment="center")
    back_to(top[0], video.folder, "← Back", width="stretch")
    top[1].subheader(plain(video.title), anchor=False)
    if video.kind is not Kind.DOWNLOAD:  # a share link only ever plays in the browser
        with top[2]:
            share_panel(svc, video)


main()
