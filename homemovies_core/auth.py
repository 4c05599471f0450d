"""Thin Streamlit adapter around streamlit-authenticator, with our Cache-backed throttle.

streamlit-authenticator checks the bcrypt hash and owns the signed login cookie (so a
reload or a second tab stays logged in); we draw the form ourselves so a throttled
address is refused *before* its password is checked.
"""

from __future__ import annotations

import logging
import math

import streamlit as st
import streamlit_authenticator as stauth

from .services import Services
from .throttle import client_address

log = logging.getLogger("homemovies.auth")

COOKIE_NAME = "home_movies_auth"
COOKIE_DAYS = 30.0


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


def login_form(svc: Services, auth: stauth.Authenticate) -> str | None:
    """Draw the login form; returns the username once a login succeeds in this run."""
    box = st.empty()
    with box.container():
        st.title("🎬 Home Movies")
        with st.form("login", clear_on_submit=False):
            username = st.text_input("Username", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Log in", type="primary")
        if not submitted:
            return None
        if not username or not password:
            st.error("Enter your user name and password.")
            return None
        address = the_client_address(svc)
        wait = svc.throttle.locked_for(username, address)
        if wait > 0:
            log.warning("Refused a login attempt from %s: too many failures.", address)
            st.error(f"Too many failed attempts. Try again in {math.ceil(wait / 60)} minutes.")
            return None
        if not auth.authentication_controller.login(username, password):
            left = svc.throttle.record_failure(username, address)
            log.warning("Failed login from %s.", address)
            wait = math.ceil(svc.throttle.window / 60)
            st.error("Wrong user name or password. " + (
                f"{left} more {'try' if left == 1 else 'tries'} before this device must wait "
                f"{wait} minutes." if left else f"This device must now wait {wait} minutes."))
            return None
    svc.throttle.record_success(username, address)
    st.session_state["logout"] = None  # the library refuses cookie logins after a logout
    auth.cookie_controller.set_cookie()
    box.empty()
    return st.session_state.get("username")


def logout(auth: stauth.Authenticate) -> None:
    auth.authentication_controller.logout()
    auth.cookie_controller.delete_cookie()


def login_as(auth: stauth.Authenticate, username: str) -> None:
    """Log this session in as `username` without a password (an approved device pairing),
    setting the same cookie a password login sets."""
    auth.authentication_controller.login(token={"username": username})
    st.session_state["logout"] = None
    auth.cookie_controller.set_cookie()
