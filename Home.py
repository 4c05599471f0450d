"""Home Movies: `streamlit run Home.py -- [flags]`.

Streamlit imports this module once to find `app` (our HTTP routes next to its own) and
then runs it as the script of every session. Only the second case draws anything.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from homemovies_core import routes, services

app = st.App("Home.py", routes=routes.build())

# Pages anyone may open (a share link, the phone side of a TV login); all others need a login.
PUBLIC_PAGES: set[str] = set()


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
    if user and st.sidebar.button("Log out", key="logout_button"):
        auth.logout(authenticator)
        user = None
    pages = [
        st.Page("pages/library.py", title="Library", icon="🎞️", url_path="library", default=True),
        st.Page("pages/watch.py", title="Watch", icon="▶️", url_path="watch",
                visibility="hidden"),
    ]
    page = st.navigation(pages, position="sidebar" if user else "hidden")

    if user is None and page.url_path not in PUBLIC_PAGES:
        user = auth.login_form(svc, authenticator)
        if user is None:
            st.stop()
    st.session_state["hm_user"] = user
    for warning in svc.warnings:
        st.sidebar.warning(warning, icon="⚠️")
    if services.get().cache_degraded:
        st.sidebar.warning("The shared cache (Redis) cannot be reached; using this server's "
                           "own memory for now.", icon="⚠️")
    page.run()


if get_script_run_ctx() is None:
    services.boot()  # discovery at start-up: a bad configuration stops here, clearly
else:
    main()
