"""Thin Streamlit adapter around streamlit-authenticator, with our Cache-backed throttle.

streamlit-authenticator checks the bcrypt hash and owns the signed login cookie (so a
reload or a second tab stays logged in); we draw the form ourselves so a throttled
address is refused *before* its password is checked.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
import streamlit_authenticator as stauth

from . import links
from .pairing import Pairing, PairingBusy, Ticket, describe_device, display_code
from .services import Services
from .throttle import client_address

log = logging.getLogger("homemovies.auth")

COOKIE_NAME = "home_movies_auth"
COOKIE_DAYS = 30.0
_COOKIE_PENDING = "hm_cookie_pending"
_PAIR_TICKET = "hm_pair_ticket"
POLL_SECONDS = 2  # how often a TV on the login page asks whether a phone approved it


def authenticator(svc: Services) -> stauth.Authenticate:
    c = svc.credentials
    # A fresh dict each run: the library writes login bookkeeping into it.
    credentials = {"usernames": {c.username: {"name": c.display_name, "password": c.password_hash,
                                              "email": "", "failed_login_attempts": 0,
                                              "logged_in": False}}}
    return stauth.Authenticate(credentials, COOKIE_NAME, svc.cookie_key, COOKIE_DAYS,
                               auto_hash=False)


def current_user(auth: stauth.Authenticate) -> str | None:
    """The logged-in username, restoring a session from the login cookie if there is one."""
    if not st.session_state.get("authentication_status"):
        token = auth.cookie_controller.get_cookie()
        if token:
            try:
                auth.authentication_controller.login(token=token)
            except Exception:  # a cookie for a user that no longer exists: just log in again
                st.session_state["authentication_status"] = None
    if st.session_state.get("authentication_status"):
        return st.session_state.get("username")
    return None


def the_client_address(svc: Services) -> str:
    return client_address(st.context.ip_address, dict(st.context.headers),
                          svc.settings.trusted_proxies)


def base_url(svc: Services, page_path: str) -> str | None:
    """The app's own root URL as this browser reaches it (for share links and QR codes)."""
    return links.base_url(st.context.url, page_path, headers=dict(st.context.headers),
                          peer=st.context.ip_address, trusted_proxies=svc.settings.trusted_proxies)


def login_form(svc: Services, auth: stauth.Authenticate, *, base: str | None = None,
               device_login: bool = True, intro: str | None = None) -> str | None:
    """Draw the login form (and, beside it, the QR code that lets a phone log this device
    in); returns the username once a login succeeds in this run."""
    box = st.empty()
    with box.container():
        st.title("🎬 Home Movies")
        if intro:
            st.write(intro)
        form_col, device_col = st.columns([3, 2], gap="large") if device_login else \
            (st.container(), None)
        with form_col:
            with st.form("login", clear_on_submit=False):
                username = st.text_input("Username", autocomplete="username")
                password = st.text_input("Password", type="password",
                                         autocomplete="current-password")
                submitted = st.form_submit_button("Log in", type="primary")
            accepted = submitted and _check_password(svc, auth, username, password)
        if not accepted:
            # Only drawn when this run stays on the login page: the polling fragment must
            # not be registered by the run that logs in and then empties `box`, or its next
            # tick redraws the emptied login page over the library.
            if device_col is not None:
                with device_col:
                    _device_login_panel(svc, auth, base)
            return None
    st.session_state["logout"] = None  # the library refuses cookie logins after a logout
    auth.cookie_controller.set_cookie()
    _forget_pairing(svc)
    box.empty()
    return st.session_state.get("username")


def _check_password(svc: Services, auth: stauth.Authenticate, username: str,
                    password: str) -> bool:
    """Check a submitted form through the throttle; draws the reason when it fails."""
    if not username or not password:
        st.error("Enter your user name and password.")
        return False
    address = the_client_address(svc)
    wait = svc.throttle.locked_for(username, address)
    if wait > 0:
        log.warning("Refused a login attempt from %s: too many failures.", address)
        st.error(f"Too many failed attempts. Try again in {math.ceil(wait / 60)} minutes.")
        return False
    if not auth.authentication_controller.login(username, password):
        left = svc.throttle.record_failure(username, address)
        log.warning("Failed login from %s.", address)
        wait = math.ceil(svc.throttle.window / 60)
        st.error("Wrong user name or password. " + (
            f"{left} more {'try' if left == 1 else 'tries'} before this device must wait "
            f"{wait} minutes." if left else f"This device must now wait {wait} minutes."))
        return False
    svc.throttle.record_success(username, address)
    return True


def _device_login_panel(svc: Services, auth: stauth.Authenticate, base: str | None) -> None:
    """A QR code and a short code; a phone that is logged in approves, and this page logs in."""
    st.subheader("📱 Log in with your phone")
    ticket: Ticket | None = st.session_state.get(_PAIR_TICKET)
    if ticket is None or ticket.expires - time.time() < POLL_SECONDS * 2:
        device = describe_device(str(st.context.headers.get("User-Agent") or ""))
        try:
            ticket = Pairing(svc.cache).start(device, str(the_client_address(svc)))
        except PairingBusy as exc:
            st.caption(str(exc))
            return
        st.session_state[_PAIR_TICKET] = ticket
    st.image(links.qr_png(links.page_url(base, "pair", code=ticket.code)), width=200)
    st.caption(f"Scan this with a phone where you are logged in, or open "
               f"{links.page_url(base, 'pair')} there and type the code:")
    st.markdown(f"## `{display_code(ticket.code)}`")
    _await_approval(svc, auth, ticket)


@st.fragment(run_every=POLL_SECONDS)
def _await_approval(svc: Services, auth: stauth.Authenticate, ticket: Ticket) -> None:
    left = ticket.expires - time.time()
    if left < POLL_SECONDS * 2:  # a fresh code, before this one stops working
        st.session_state.pop(_PAIR_TICKET, None)
        st.rerun(scope="app")
    username = Pairing(svc.cache).claim(ticket)
    if username:
        st.session_state.pop(_PAIR_TICKET, None)
        log.info("A device at %s logged in through a phone's approval.", the_client_address(svc))
        login_as(auth, username)
        st.rerun(scope="app")
    st.caption(f"Waiting for a phone… this code works for {math.ceil(left / 60)} more minutes.")


def _forget_pairing(svc: Services) -> None:
    ticket = st.session_state.pop(_PAIR_TICKET, None)
    if ticket is not None:
        Pairing(svc.cache).cancel(ticket)


def logout(auth: stauth.Authenticate) -> None:
    auth.authentication_controller.logout()
    auth.cookie_controller.delete_cookie()


def login_as(auth: stauth.Authenticate, username: str) -> bool:
    """Log this session in as `username` without a password (an approved device pairing).
    The login cookie (the same one a password login sets) follows in the next full run: see
    `set_pending_cookie`."""
    try:
        auth.authentication_controller.login(token={"username": username})
    except stauth.LoginError:  # the user was removed while the device waited
        return False
    st.session_state["logout"] = None
    st.session_state[_COOKIE_PENDING] = True
    return True


def set_pending_cookie(auth: stauth.Authenticate) -> None:
    """Set the login cookie a `login_as` asked for. The cookie is written by a component in
    the page, so it must be drawn in a full run that stays on screen: one drawn inside the
    polling fragment that reruns the app at once would never reach the browser."""
    if st.session_state.pop(_COOKIE_PENDING, False):
        auth.cookie_controller.set_cookie()


def viewer_zone() -> tzinfo | None:
    """The browser's time zone, for showing when a link expires; None (UTC) if unknown."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def require_user() -> str:
    """The logged-in user, for pages that need one; anyone else gets nothing.

    Home.py already gates every page, but if it ever failed before `st.navigation`,
    Streamlit would fall back to running files in pages/ directly: each private page
    checks again so a crash can never open the library to a stranger."""
    user = st.session_state.get("hm_user")
    if not user or not st.session_state.get("authentication_status"):
        st.info("Please log in.")
        st.stop()
    return user
