"""The Streamlit side of who is logged in: the session of this tab, the client's address,
handing the login cookie to the browser, logging out. (The login form and the phone panel
are login_page.py.)

- Who is logged in comes from our HttpOnly session cookie, read server-side from the
  websocket's request (`st.context.cookies`) and checked against the session in the Cache
  (sessions.py). Nothing in the browser has to report it, so there is no component whose
  rerun could swallow a click, and no flash of the login form for someone logged in.
- Every action here runs in a widget callback: callbacks run before the script, so a click
  acts even if the run it started is interrupted by another rerun. For the same reason a
  callback runs before the script's login gate: one that changes anything asks
  `acting_user()` first, which checks the session in the Cache at that moment.
- What a tab holds for one person (the watch page's progress token, a share link just made,
  a device approval) is dropped when someone logs in or out there, or the session ends.
"""

from __future__ import annotations

import logging
import time
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from .. import links
from ..cache import CacheUnavailable
from ..pairing import describe_device
from ..services import Services, Users
from ..sessions import COOKIE_NAME, LoginSession, SessionStore
from ..throttle import client_address
from ..web import idle_sockets
from .state import (
    HANDOFF,
    LOGGED_OUT,
    LOGIN_ERROR,
    PER_PERSON,
    SESSION,
)

log = logging.getLogger("homemovies.auth")


# Posts to /auth/session or /auth/logout once per id; sets no component state, so drawing it
# never reruns the script.
_cookie_component = st.components.v2.component(
    "homemovies.session",
    html="",
    js="""
export default function (component) {
  const data = component.data || {};
  if (!data.url || !data.id) return;
  const done = (window.__hmSessionDone = window.__hmSessionDone || new Set());
  if (done.has(data.id)) return;
  done.add(data.id);
  fetch(data.url, { method: "POST", credentials: "same-origin",
                    headers: { "X-HM-Handoff": data.id } })
    .then((r) => { if (!r.ok && r.status >= 500) done.delete(data.id); })
    .catch(() => done.delete(data.id));
}
""",
)


def users(svc: Services) -> Users:
    """User name → credentials of everyone who may log in (the family's users file and the
    --username login)."""
    return svc.credentials


def store(svc: Services) -> SessionStore:
    return svc.sessions


# -- who is this ---------------------------------------------------------------------------
def current_session(svc: Services) -> LoginSession | None:
    """This tab's live login session: from session state, else from the login cookie. The
    store refuses one that was ended elsewhere ("log out this device"), expired, or whose
    person was removed or given a new password (sessions.py)."""
    sessions = store(svc)
    known: LoginSession | None = st.session_state.get(SESSION)
    if known is not None:
        live = sessions.get(known.id)
        if live is None:
            st.session_state.pop(SESSION, None)
            forget_person()
            return None
        st.session_state[SESSION] = sessions.touch(live)
        return live
    if st.session_state.get(LOGGED_OUT):
        return None  # the cookie this websocket opened with is the one just ended
    found = sessions.from_cookie(st.context.cookies.get(COOKIE_NAME))
    if found is not None:
        st.session_state[SESSION] = sessions.touch(found)
    return found


def current_user(svc: Services) -> str | None:
    session = current_session(svc)
    # Whether this tab's websocket may be closed when it falls silent (web/idle_sockets.py).
    socket_id = st.context.headers.get(idle_sockets.HEADER)
    idle_sockets.REGISTRY.note(socket_id, logged_in=session is not None)
    return session.username if session else None


def acting_user(svc: Services) -> str | None:
    """For a widget callback that changes something: the user of this tab's session if it is
    still live now, else None, and the callback must do nothing. Callbacks run before the
    script and its login gate: a tab whose session was just ended on the Devices page must
    not approve a TV, make or revoke a link, or end a session with its next click."""
    return current_user(svc)


def forget_person() -> None:
    """Drop what this tab holds for the person who was logged in (see state.PER_PERSON)."""
    for key in PER_PERSON:
        st.session_state.pop(key, None)


def require_user() -> str:
    """The logged-in user, for pages that need one; anyone else gets nothing. (Home.py gates
    every page already; this is the second lock, in case a page ever runs without it.)"""
    session: LoginSession | None = st.session_state.get(SESSION)
    if session is None:
        st.info("Please log in.")
        st.stop()
    return session.username


def peer_address() -> str | None:
    """The websocket's own peer address. `st.context.ip_address` hides loopback peers (None),
    which is exactly what a proxy on the same host is, so the runtime's client is asked."""
    try:
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        client = get_instance().get_client(ctx.session_id) if ctx else None
        if client is not None and client.client_context is not None:
            return client.client_context.remote_ip
    except RuntimeError:  # no runtime: AppTest
        pass
    return st.context.ip_address


def the_client_address(svc: Services) -> str:
    return client_address(
        peer_address(), st.context.headers.get_all("X-Forwarded-For"), svc.settings.trusted_proxies
    )


def this_device() -> str:
    return describe_device(str(st.context.headers.get("User-Agent") or "")[:512])


def base_url(svc: Services, page_path: str) -> str | None:
    """The app's own root URL as this browser reaches it (for share links and QR codes)."""
    return links.base_url(
        st.context.url,
        page_path,
        headers=dict(st.context.headers),
        peer=peer_address(),
        trusted_proxies=svc.settings.trusted_proxies,
    )


# -- logging in ----------------------------------------------------------------------------
def log_in_as(svc: Services, username: str, via: str) -> LoginSession:
    """Start a session for this tab and have the page collect its cookie."""
    sessions = store(svc)
    session = sessions.start(
        username, device=this_device(), address=the_client_address(svc), via=via
    )
    forget_person()  # whoever used this tab before: their resume points are not this person's
    st.session_state[SESSION] = session
    st.session_state[HANDOFF] = sessions.handoff(session)
    st.session_state.pop(LOGGED_OUT, None)
    return session


def deliver_cookie(svc: Services, base: str | None) -> None:
    """Draw the component that collects the login cookie, until the page has it (or logout's
    component that clears it). Drawn on every run until done: a run that is replaced before
    the component mounts must not lose the cookie."""
    handoff = st.session_state.get(HANDOFF)
    if handoff and not store(svc).handoff_pending(handoff):
        st.session_state.pop(HANDOFF, None)
        handoff = None
    if handoff:
        _cookie_component(
            key="hm_session_cookie",
            data={"url": links.page_url(base, "auth/session"), "id": handoff},
        )
    elif st.session_state.get(LOGGED_OUT):
        _cookie_component(
            key="hm_session_cookie",
            data={"url": links.page_url(base, "auth/logout"), "id": st.session_state[LOGGED_OUT]},
        )


# -- logging out ---------------------------------------------------------------------------
def logout_button(svc: Services) -> None:
    st.sidebar.button("Log out", key="logout_button", on_click=_log_out, args=(svc,))


def _log_out(svc: Services) -> None:
    session: LoginSession | None = st.session_state.pop(SESSION, None)
    if session is not None:
        try:
            store(svc).end(session.id)  # dead everywhere now, whatever the browser keeps
        except CacheUnavailable:
            st.session_state[LOGIN_ERROR] = (
                "Logged out on this screen only: the shared "
                "cache (Redis) cannot be reached, so the login "
                "could not be ended everywhere. Log out again "
                "later, or from the Devices page."
            )
    st.session_state.pop(HANDOFF, None)
    forget_person()
    st.session_state[LOGGED_OUT] = f"logout-{time.time_ns()}"


def viewer_zone() -> tzinfo | None:
    """The browser's time zone, for showing when a link expires; None (UTC) if unknown."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
