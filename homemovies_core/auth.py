"""The Streamlit side of logging in: who is logged in, the login form, the phone login panel,
logging out.

- Who is logged in comes from our HttpOnly session cookie, read server-side from the
  websocket's request (`st.context.cookies`) and checked against the session in the Cache
  (sessions.py). Nothing in the browser has to report it, so there is no component whose
  rerun could swallow a click, and no flash of the login form for someone logged in.
- streamlit-authenticator checks the password (its `AuthenticationController`, bcrypt); we
  draw the form, and count the attempt in the throttle *before* the check.
- Every action here runs in a widget callback: callbacks run before the script, so a click
  acts even if the run it started is interrupted by another rerun.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import bcrypt
import streamlit as st
from streamlit_authenticator.controllers import AuthenticationController

from . import links, widgets
from .cache import CacheUnavailable
from .formatting import plain
from .pairing import PairingBusy, Ticket, describe_device, display_code
from .services import Services, Users
from .sessions import COOKIE_NAME, LoginSession, SessionStore
from .state import (
    HANDOFF,
    LOGGED_OUT,
    LOGIN_ERROR,
    LOGIN_PASSWORD,
    LOGIN_USER,
    PAIR_ERROR,
    PAIR_TICKET,
    SESSION,
)
from .throttle import client_address

log = logging.getLogger("homemovies.auth")

POLL_SECONDS = 2  # how often a TV on the login page asks whether a phone approved it
BCRYPT_MAX_BYTES = 72
UNKNOWN_USER = "\x00unknown"  # every unknown user name counts as this one subject
_DUMMY_HASH = bcrypt.hashpw(b"timing", bcrypt.gensalt(rounds=12)).decode()

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
    """This tab's live login session: from session state, else from the login cookie."""
    sessions = store(svc)
    known: LoginSession | None = st.session_state.get(SESSION)
    if known is not None:
        live = sessions.get(known.id)  # ended elsewhere ("log out this device")?
        if live is None or live.username not in users(svc):  # or that person was removed
            st.session_state.pop(SESSION, None)
            return None
        st.session_state[SESSION] = sessions.touch(live)
        return live
    if st.session_state.get(LOGGED_OUT):
        return None  # the cookie this websocket opened with is the one just ended
    found = sessions.from_cookie(st.context.cookies.get(COOKIE_NAME))
    if found is not None and found.username not in users(svc):
        found = None  # removed from the users file since
    if found is not None:
        st.session_state[SESSION] = sessions.touch(found)
    return found


def current_user(svc: Services) -> str | None:
    session = current_session(svc)
    return session.username if session else None


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


def _submit_login(svc: Services) -> None:
    """The form's callback: runs before the script, so the click always counts."""
    username = str(st.session_state.get(LOGIN_USER) or "").strip().lower()[:128]
    password = str(st.session_state.get(LOGIN_PASSWORD) or "")
    st.session_state[LOGIN_PASSWORD] = ""  # never kept in the session
    if not username or not password:
        st.session_state[LOGIN_ERROR] = "Enter your user name and password."
        return
    address = the_client_address(svc)
    try:
        error = check_password(svc, username, password, address)
        if error is None:
            _forget_pairing(svc)
            log_in_as(svc, username, via="password")
            log.info("%s logged in from %s.", username, address)
    except CacheUnavailable:
        error = str(CacheUnavailable("Logging in"))
    if error:
        st.session_state[LOGIN_ERROR] = error
    else:
        st.session_state.pop(LOGIN_ERROR, None)


def check_password(svc: Services, username: str, password: str, address: str) -> str | None:
    """None if the password is right; else the sentence to show. The attempt is counted
    before the password is checked, so parallel guesses cannot slip past the count."""
    known = username in users(svc)
    attempt = svc.throttles.login.attempt(username if known else UNKNOWN_USER, address)
    if not attempt.allowed:
        log.warning("Refused a login attempt from %s: too many failures.", address)
        return f"Too many failed attempts. {widgets.try_again_in(attempt.wait)}"
    if _password_ok(svc, username, password, known):
        svc.throttles.login.succeeded(username, address)
        return None
    log.warning("Failed login from %s.", address)
    wait = math.ceil(svc.throttles.login.window / 60)
    return "Wrong user name or password. " + (
        f"{attempt.left} more {'try' if attempt.left == 1 else 'tries'} before this device "
        f"must wait {wait} minutes."
        if attempt.left
        else f"This device must now wait {wait} minutes."
    )


def _password_ok(svc: Services, username: str, password: str, known: bool) -> bool:
    if len(password.encode()) > BCRYPT_MAX_BYTES:  # bcrypt refuses these: never ours
        return False
    if not known:
        bcrypt.checkpw(password.encode(), _DUMMY_HASH.encode())  # same time as a known name
        return False
    # Only the person asked about: the controller rebuilds its table of users on each login.
    user = users(svc)[username]
    credentials = {
        "usernames": {
            username: {
                "name": user.display_name,
                "password": user.password_hash,
                "email": user.email,
                "failed_login_attempts": 0,
                "logged_in": False,
            }
        }
    }
    return bool(AuthenticationController(credentials, auto_hash=False).login(username, password))


def login_screen(
    svc: Services, *, base: str | None, device_login: bool = True, intro: str | None = None
) -> None:
    """The login form, and beside it a way to log this screen in with a phone."""
    st.title("🎬 Home Movies")
    if intro:
        st.write(intro)
    form_col, device_col = (
        st.columns([3, 2], gap="large") if device_login else (st.container(), None)
    )
    with form_col, st.form("login", clear_on_submit=False, enter_to_submit=True):
        st.text_input("Username", key=LOGIN_USER, autocomplete="username", max_chars=128)
        st.text_input(
            "Password",
            key=LOGIN_PASSWORD,
            type="password",
            autocomplete="current-password",
            max_chars=256,
        )
        st.form_submit_button("Log in", type="primary", on_click=_submit_login, args=(svc,))
        if st.session_state.get(LOGIN_ERROR):
            st.error(widgets.plain(st.session_state[LOGIN_ERROR]))
    if device_col is not None:
        with device_col:
            _device_login_panel(svc, base)


def _device_login_panel(svc: Services, base: str | None) -> None:
    """A code only once this screen asks for one; a phone that is logged in approves it."""
    st.subheader("📱 Log in with your phone")
    ticket: Ticket | None = st.session_state.get(PAIR_TICKET)
    if ticket is None or ticket.expires - time.time() < POLL_SECONDS * 2:
        st.session_state.pop(PAIR_TICKET, None)
        st.caption("On a TV or a shared screen, let a phone where you are logged in do it.")
        st.button("Show a code for my phone", on_click=_start_pairing, args=(svc,))
        if st.session_state.get(PAIR_ERROR):
            st.warning(widgets.plain(st.session_state.pop(PAIR_ERROR)))
        return
    widgets.qr_code(links.page_url(base, "pair", code=ticket.code), width=200)
    st.caption(
        f"Scan this with a phone where you are logged in, or open "
        f"{widgets.plain(links.page_url(base, 'pair'))} there and type the code:"
    )
    st.markdown(f"## `{display_code(ticket.code)}`")
    st.markdown(f"Then type this number on the phone: **{ticket.check}**")
    _await_approval(svc, ticket)


def _start_pairing(svc: Services) -> None:
    try:
        ticket = svc.pairing.start(this_device(), the_client_address(svc))
    except PairingBusy as exc:
        st.session_state[PAIR_ERROR] = str(exc)
        return
    except CacheUnavailable:
        st.session_state[PAIR_ERROR] = str(CacheUnavailable("Logging in with a phone"))
        return
    st.session_state[PAIR_TICKET] = ticket


@st.fragment(run_every=POLL_SECONDS)
def _await_approval(svc: Services, ticket: Ticket) -> None:
    left = ticket.expires - time.time()
    if left < POLL_SECONDS * 2:  # expired: offer a new one
        st.session_state.pop(PAIR_TICKET, None)
        st.rerun(scope="app")
    try:
        username = svc.pairing.claim(ticket)
        if username and username in users(svc):  # the user may have been removed meanwhile
            log_in_as(svc, username, via="phone")
            log.info(
                "A device at %s logged in through a phone's approval.", the_client_address(svc)
            )
    except CacheUnavailable as exc:
        st.caption(plain(exc))
        return
    if username:
        st.session_state.pop(PAIR_TICKET, None)
        st.rerun(scope="app")
    st.caption(f"Waiting for a phone… this code works for {math.ceil(left / 60)} more minutes.")


def _forget_pairing(svc: Services) -> None:
    ticket = st.session_state.pop(PAIR_TICKET, None)
    if ticket is not None:
        try:
            svc.pairing.cancel(ticket)
        except CacheUnavailable:
            pass  # it expires by itself within ten minutes


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
    st.session_state[LOGGED_OUT] = f"logout-{time.time_ns()}"


def viewer_zone() -> tzinfo | None:
    """The browser's time zone, for showing when a link expires; None (UTC) if unknown."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
