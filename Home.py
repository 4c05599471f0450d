"""Home Movies: `streamlit run Home.py -- [flags]`.

Streamlit imports this module once to find `app` (our HTTP routes next to its own) and
then runs it as the script of every session. Only the second case draws anything.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from homemovies_core import routes, services

app = st.App("Home.py", routes=routes.build(), middleware=routes.middleware())

# Pages anyone may open: a share link. They must show nothing of the library to a stranger:
# no navigation, no sidebar, no folder or owner names. (The phone side of a TV login, "pair",
# is not public: the gate below asks the phone to log in first, then runs it.)
PUBLIC_PAGES: set[str] = {"shared"}


def main() -> None:
    from homemovies_core import auth
    from homemovies_core.settings import SettingsError

    st.set_page_config(page_title="Home Movies", page_icon="🎬", layout="wide")
    try:
        svc = services.get()
    except SettingsError as exc:
        st.error(str(exc))
        st.stop()

    authenticator = auth.authenticator(svc)
    user = auth.current_user(authenticator)
    auth.set_pending_cookie(authenticator)  # a device that a phone just logged in
    if user and st.sidebar.button("Log out", key="logout_button"):
        auth.logout(authenticator)
        user = None
    pages = [
        st.Page("pages/library.py", title="Library", icon="🎞️", url_path="library", default=True),
        st.Page("pages/shares.py", title="Shared links", icon="🔗", url_path="shares"),
        st.Page("pages/watch.py", title="Watch", icon="▶️", url_path="watch",
                visibility="hidden"),
        st.Page("pages/shared.py", title="Shared video", icon="🎬", url_path="shared",
                visibility="hidden"),
        st.Page("pages/pair.py", title="Log in a device", icon="📱", url_path="pair",
                visibility="hidden"),
    ]
    page = st.navigation(pages, position="sidebar" if user else "hidden")
    base = auth.base_url(svc, page.url_path)

    if user is None and page.url_path not in PUBLIC_PAGES:
        phone = page.url_path == "pair"  # a phone about to approve a TV needs no QR code itself
        user = auth.login_form(svc, authenticator, base=base, device_login=not phone,
                               intro="Log in to let the device that showed you this code log "
                                     "in too." if phone else None)
        if user is None:
            st.stop()
    st.session_state["hm_user"] = user
    st.session_state["hm_base_url"] = base
    if user:  # operator notices are for the family, not for a stranger holding a share link
        for warning in svc.warnings:
            st.sidebar.warning(warning, icon="⚠️")
        if svc.cache_degraded:
            st.sidebar.warning("The shared cache (Redis) cannot be reached; using this server's "
                               "own memory for now.", icon="⚠️")
    page.run()


if get_script_run_ctx() is None:
    services.boot()  # discovery at start-up: a bad configuration stops here, clearly
else:
    main()
