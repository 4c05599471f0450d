"""A share link: one video for someone without an account, and nothing else of the library.

Public (no login). It shows the title, when the link expires and the player; never the
owner's name, other videos, folders or storage paths. Unknown, expired and revoked links
all get the same sentence, and guessing from one address is throttled.
"""

import time

import streamlit as st

from homemovies_core import services
from homemovies_core.cache import CacheUnavailable
from homemovies_core.formatting import plain, try_again_in, whole_minutes
from homemovies_core.library import Kind
from homemovies_core.shares import Share, describe_expiry, password_matches
from homemovies_core.storage.base import StorageError
from homemovies_core.ui import auth, state, widgets
from homemovies_core.ui.login_page import BUSY
from homemovies_core.ui.player import player
from homemovies_core.web.regrant_routes import share_token

NOT_VALID = (
    "This link does not work any more. It may have expired or been withdrawn; ask "
    "the person who sent it for a new one."
)
ANY = "*"  # the lookup throttle counts per address only


def refuse(message: str) -> None:
    st.title("🎬 Home Movies", anchor=False)
    st.info(message)


def unlocked(svc: services.Services, share: Share, address: str) -> bool:
    """Password-protected links ask once per browser session, and show nothing of the video
    (not even its title) before the password is right."""
    if not share.protected or st.session_state.get(state.share_unlocked(share.id)):
        return True
    st.title("🎬 Home Movies", anchor=False)
    with st.form("share_password"):
        st.text_input(
            "This video is protected. Password",
            type="password",
            max_chars=256,
            key=state.SHARED_PASSWORD,
        )
        st.form_submit_button(
            "Watch", type="primary", on_click=check_password, args=(svc, share, address)
        )
    if st.session_state.get(state.SHARED_PASSWORD_ERROR):
        st.error(st.session_state.pop(state.SHARED_PASSWORD_ERROR))
    return False


def check_password(svc: services.Services, share: Share, address: str) -> None:
    """The Watch button's callback: counted before it is checked, like a login."""
    password = str(st.session_state.get(state.SHARED_PASSWORD) or "")
    st.session_state[state.SHARED_PASSWORD] = ""
    throttle = svc.throttles.share_password
    try:
        attempt = throttle.attempt(share.id, address)
    except CacheUnavailable as exc:
        st.session_state[state.SHARED_PASSWORD_ERROR] = str(exc)
        return
    if not attempt.allowed:
        st.session_state[state.SHARED_PASSWORD_ERROR] = (
            f"Too many wrong passwords. {try_again_in(attempt.wait)}"
        )
    elif not svc.throttles.password_checks.take():  # bcrypt, like a login (login_guard.py)
        st.session_state[state.SHARED_PASSWORD_ERROR] = BUSY
    elif password_matches(share, password):
        throttle.succeeded(share.id, address)
        st.session_state[state.share_unlocked(share.id)] = True
    else:
        st.session_state[state.SHARED_PASSWORD_ERROR] = "That is not the password." + (
            "" if attempt.left else f" This device must now wait {whole_minutes(throttle.window)}."
        )


def main() -> None:
    svc = services.get()
    token = st.query_params.get("t", "")
    address = auth.the_client_address(svc)
    throttle = svc.throttles.share_lookup
    if throttle.blocked(ANY, address) > 0:
        refuse("Too many links that do not work were opened from this device. Try again later.")
        return
    share = svc.shares.lookup(token)
    if share is None:
        throttle.failed(ANY, address)
        refuse(NOT_VALID)
        return
    video = svc.catalog.video(share.video_key)
    if video is None or video.kind is Kind.DOWNLOAD:
        refuse("This video is not available any more.")
        return
    if not unlocked(svc, share, address):
        return

    st.subheader(plain(share.title), anchor=False)
    try:
        src = svc.urls.video_url(video)
        subtitles, thumbnails = widgets.player_extras(svc, video)
    except StorageError:
        refuse("This video cannot be played right now. Try again in a little while.")
        return
    player(
        src,
        kind=video.kind.value,
        title=share.title,
        subtitles=subtitles,
        thumbnails=thumbnails,
        renew_url=widgets.app_url("api/regrant"),  # a URL that died with its maker is replaced
        renew_token=share_token(svc, share),
        key="player",
    )
    st.caption(
        f"Shared with you · this link expires "
        f"{describe_expiry(share.expires, time.time(), auth.viewer_zone())}."
    )


main()
