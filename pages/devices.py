"""Devices: every browser and TV logged in as you, and a way to log any of them out.

Ending a session here works at once wherever it is: the device's next click (or reload) finds
its session gone and shows the login form, whatever cookie it still holds.
"""

import time
from datetime import UTC, datetime

import streamlit as st

from homemovies_core import services
from homemovies_core.cache import CacheUnavailable
from homemovies_core.formatting import human_date, plain
from homemovies_core.sessions import LoginSession, SessionStore
from homemovies_core.ui import auth


def log_out(svc: services.Services, digest: str, device: str) -> None:
    user = auth.acting_user(svc)  # before the login gate: is this tab still logged in?
    if user is None:
        return
    try:
        ended = auth.store(svc).end_by_digest(digest, user)
    except CacheUnavailable as exc:
        st.toast(str(exc), icon="⚠️")
        return
    if ended:
        st.toast(f"{plain(device)} is logged out.", icon="📱")


def describe(session: LoginSession, now: float) -> str:
    how = "with a phone" if session.via == "phone" else "with the password"
    return (
        f"from {plain(session.address)} · logged in {how} "
        f"{human_date(datetime.fromtimestamp(session.created, UTC))} · "
        f"last used {ago(now - session.last_seen)}"
    )


def ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 5:
        return "just now"
    if minutes < 120:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


def main() -> None:
    user = auth.require_user()
    svc = services.get()
    store = auth.store(svc)
    mine = SessionStore.digest(st.session_state[auth.SESSION].id)
    st.title("Devices", anchor=False)
    st.caption(
        "Every browser and TV logged in as you. Log out any you do not recognise, or "
        "that you no longer use: it has to log in again."
    )
    now = time.time()
    for session in store.active(user):
        with st.container(border=True):
            text, button = st.columns([5, 1], vertical_alignment="center")
            this = session.id == mine
            text.markdown(f"**{plain(session.device)}**" + (" · this device" if this else ""))
            text.caption(describe(session, now))
            if not this:  # named for its row: a screen reader hears which device
                button.button(
                    f"Log out {plain(session.device)}",
                    key=f"end:{session.id}",
                    width="stretch",
                    on_click=log_out,
                    args=(svc, session.id, session.device),
                )


main()
