"""The login page: the form (streamlit-authenticator checks the password, bcrypt; the
attempt is counted in the throttle *before* the check) and, beside it, the panel that lets
a phone log this screen in. Every action runs in a widget callback, before the script, so a
click acts even if the run it started is interrupted by another rerun."""

from __future__ import annotations

import logging
import math
import time

import bcrypt
import streamlit as st
from streamlit_authenticator import Hasher

from .. import links
from ..cache import CacheUnavailable
from ..formatting import plain, try_again_in, whole_minutes
from ..known_devices import COOKIE_NAME as DEVICE_COOKIE
from ..observability.logs import user_ref
from ..observability.metrics import LOGINS
from ..pairing import PairingBusy, Ticket, display_code
from ..services import Services
from . import widgets
from .auth import log_in_as, the_client_address, this_device, users
from .state import LOGIN_ERROR, LOGIN_PASSWORD, LOGIN_USER, PAIR_ERROR, PAIR_TICKET

log = logging.getLogger("homemovies.auth")

POLL_SECONDS = 2  # how often a TV on the login page asks whether a phone approved it
BCRYPT_MAX_BYTES = 72
BUSY = "Many passwords are being checked right now. Try again in a moment."
_DUMMY_HASH = bcrypt.hashpw(b"timing", bcrypt.gensalt(rounds=12)).decode()


def _submit_login(svc: Services) -> None:
    """The form's callback: runs before the script, so the click always counts."""
    username = str(st.session_state.get(LOGIN_USER) or "").strip().lower()[:128]
    password = str(st.session_state.get(LOGIN_PASSWORD) or "")
    st.session_state[LOGIN_PASSWORD] = ""  # never kept in the session
    if not username or not password:
        st.session_state[LOGIN_ERROR] = "Enter your user name and password."
        return
    address = the_client_address(svc)
    device = svc.known_devices.device_for(st.context.cookies.get(DEVICE_COOKIE), username)
    try:
        error = check_password(svc, username, password, address, device)
        if error is None:
            _forget_pairing(svc)
            log_in_as(svc, username, via="password")
            log.info("Logged in from %s.", address, extra={"user": user_ref(username)})
    except CacheUnavailable:
        error = str(CacheUnavailable("Logging in"))
    if error:
        st.session_state[LOGIN_ERROR] = error
    else:
        st.session_state.pop(LOGIN_ERROR, None)


def check_password(
    svc: Services, username: str, password: str, address: str, device: str | None = None
) -> str | None:
    """None if the password is right; else the sentence to show. The attempt is counted
    before the password is checked, so parallel guesses cannot slip past the count; a name
    that exists and one that does not get the same answers (login_guard.py)."""
    guard = svc.throttles.login
    attempt = guard.attempt(username, address, device)
    if not attempt.allowed:
        LOGINS.labels(result="throttled").inc()
        log.warning("Refused a login attempt from %s: too many failures.", address)
        return f"Too many failed attempts. {try_again_in(attempt.wait)}"
    if not guard.checks.take():
        LOGINS.labels(result="throttled").inc()
        log.warning("Refused a login attempt from %s: too many password checks.", address)
        return BUSY
    if _password_ok(svc, username, password):
        guard.succeeded(username, address, device)
        LOGINS.labels(result="ok").inc()
        return None
    guard.failed(username, address, device)
    LOGINS.labels(result="wrong").inc()
    log.warning("Failed login from %s.", address)
    wait = whole_minutes(guard.window)
    return "Wrong user name or password. " + (
        f"{attempt.left} more {'try' if attempt.left == 1 else 'tries'} before this device "
        f"must wait {wait}."
        if attempt.left
        else f"This device must now wait {wait}."
    )


def _password_ok(svc: Services, username: str, password: str) -> bool:
    if len(password.encode()) > BCRYPT_MAX_BYTES:  # bcrypt refuses these: never ours
        return False
    # streamlit-authenticator's own check, on the password as its login form would pass it
    # (surrounding spaces dropped); its login controller would also write keys of its own into
    # the session state, which nothing here reads or clears.
    password = password.strip()
    person = users(svc).get(username)
    if person is None:
        Hasher.check_pw(password, _DUMMY_HASH)  # same time as a known name
        return False
    try:
        return Hasher.check_pw(password, person.password_hash)
    except ValueError:  # a hash bcrypt cannot read (users.py refuses them on load): no match
        return False


def login_screen(
    svc: Services, *, base: str | None, device_login: bool = True, intro: str | None = None
) -> None:
    """The login form, and beside it a way to log this screen in with a phone."""
    st.title("🎬 Home Movies", anchor=False)
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
            st.error(plain(st.session_state[LOGIN_ERROR]))
    if device_col is not None:
        with device_col:
            _device_login_panel(svc, base)


def _device_login_panel(svc: Services, base: str | None) -> None:
    """A code only once this screen asks for one; a phone that is logged in approves it."""
    st.subheader("📱 Log in with your phone", anchor=False)
    ticket: Ticket | None = st.session_state.get(PAIR_TICKET)
    if ticket is None or ticket.expires - time.time() < POLL_SECONDS * 2:
        st.session_state.pop(PAIR_TICKET, None)
        st.caption("On a TV or a shared screen, let a phone where you are logged in do it.")
        st.button("Show a code for my phone", on_click=_start_pairing, args=(svc,))
        if st.session_state.get(PAIR_ERROR):
            st.warning(plain(st.session_state.pop(PAIR_ERROR)))
        return
    widgets.qr_code(links.page_url(base, "pair", code=ticket.code), width=200)
    st.caption(
        f"Scan this with a phone where you are logged in, or open "
        f"{plain(links.page_url(base, 'pair'))} there and type the code:"
    )
    st.markdown(f"## `{display_code(ticket.code)}`", anchors=False)
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
