"""A share link: one video for someone without an account, and nothing else of the library.

Public (no login). It shows the title, when the link expires and the player; never the
owner's name, other videos, folders or storage paths. Unknown, expired and revoked links
all get the same sentence, and guessing from one address is throttled.
"""

import math
import time

import streamlit as st

from homemovies_core import auth, services
from homemovies_core.library import Kind
from homemovies_core.player import SubtitleTrack, player
from homemovies_core.shares import (
    Share,
    ShareStore,
    describe_expiry,
    lookup_throttle,
    password_matches,
    password_throttle,
)
from homemovies_core.storage.base import StorageError

NOT_VALID = ("This link does not work any more. It may have expired or been withdrawn; ask "
             "the person who sent it for a new one.")
ANY = "*"  # the lookup throttle counts per address only


def refuse(message: str) -> None:
    st.title("🎬 Home Movies")
    st.info(message)


def unlocked(svc: services.Services, share: Share, address: str) -> bool:
    """Password-protected links ask once per browser session."""
    if not share.protected or st.session_state.get(f"hm_share_ok:{share.id}"):
        return True
    throttle = password_throttle(svc.cache)
    st.subheader(share.title)
    with st.form("share_password"):
        password = st.text_input("This video is protected. Password", type="password")
        submitted = st.form_submit_button("Watch", type="primary")
    if not submitted:
        return False
    wait = throttle.locked_for(share.id, address)
    if wait > 0:
        st.error(f"Too many wrong passwords. Try again in {math.ceil(wait / 60)} minutes.")
        return False
    if not password_matches(share, password):
        left = throttle.record_failure(share.id, address)
        st.error("That is not the password." + ("" if left else
                 f" This device must now wait {math.ceil(throttle.window / 60)} minutes."))
        return False
    throttle.record_success(share.id, address)
    st.session_state[f"hm_share_ok:{share.id}"] = True
    st.rerun()  # draw the player without the password form above it


def main() -> None:
    svc = services.get()
    token = st.query_params.get("t", "")
    address = auth.the_client_address(svc)
    throttle = lookup_throttle(svc.cache)
    if throttle.locked_for(ANY, address) > 0:
        refuse("Too many links that do not work were opened from this device. "
               "Try again later.")
        return
    share = ShareStore(svc.cache).lookup(token)
    if share is None:
        throttle.record_failure(ANY, address)
        refuse(NOT_VALID)
        return
    video = svc.catalog.video(share.video_key)
    if video is None or video.kind is Kind.DOWNLOAD:
        refuse("This video is not available any more.")
        return
    if not unlocked(svc, share, address):
        return

    st.subheader(share.title)
    try:
        src = svc.urls.video_url(video)
        subtitles = [SubtitleTrack(src=svc.urls.object_url(s.name, within=video),
                                   language=s.language, label=s.label)
                     for s in svc.catalog.hls_subtitles(video)]
    except StorageError:
        refuse("This video cannot be played right now. Try again in a little while.")
        return
    player(src, kind=video.kind.value, title=share.title, subtitles=subtitles, key="player")
    st.caption(f"Shared with you · this link expires "
               f"{describe_expiry(share.expires, time.time(), auth.viewer_zone())}.")


main()
