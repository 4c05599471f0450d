"""Home Movies: `streamlit run Home.py -- [flags]`.

Streamlit imports this module once to find `app` (our HTTP routes next to its own) and
then runs it as the script of every session. Only the second case draws anything.
"""

import gc
import logging

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from homemovies_core import services
from homemovies_core.ui import observe, state
from homemovies_core.web import routes

# A folder named pages/ beside the main script makes Streamlit run the old automatic
# multipage app until the first st.navigation call of the process: right after a restart, a
# stranger's first request would run pages/watch.py directly, past the login gate below, and
# see the automatic page list. We always navigate with st.navigation: say so before any
# session starts.
PagesManager.uses_pages_directory = False

# Pages anyone may open: a share link. They must show nothing of the library to a stranger:
# no navigation, no sidebar, no folder or owner names. (The phone side of a TV login, "pair",
# is not public: the gate below asks the phone to log in first, then runs it.)
PUBLIC_PAGES: set[str] = {"shared"}


def pages(may_add: bool = False) -> list:
    """The pages, made once per browser tab (and answer to `may_add`): st.Page resolves its
    file's real path on disk (a system call per folder of it) each time one is made, and
    every run of every page made all of them (7 % of a replica's CPU with 100 viewers). Not
    shared between tabs: st.navigation marks the Page objects it returns for the run that
    uses them."""
    made = st.session_state.setdefault(state.PAGES, {})
    if may_add not in made:
        made[may_add] = _make_pages(may_add)
    return made[may_add]


def _make_pages(may_add: bool) -> list:
    """Every page; "Add videos" is listed for those who may add (its URL always answers, with
    the one sentence that says why not for anyone else)."""
    library = "pages/library.py"
    return [
        st.Page(library, title="Library", icon="🎞️", url_path="home", default=True),
        # The same page at /library, so that links and bookmarks of it open too.
        st.Page(library, title="Library", icon="🎞️", url_path="library", visibility="hidden"),
        st.Page("pages/timeline.py", title="Timeline", icon="📅", url_path="timeline"),
        st.Page(
            "pages/add.py",
            title="Add videos",
            icon="➕",
            url_path="add",
            visibility="visible" if may_add else "hidden",
        ),
        st.Page("pages/shares.py", title="Shared links", icon="🔗", url_path="shares"),
        st.Page("pages/devices.py", title="Devices", icon="📱", url_path="devices"),
        st.Page("pages/watch.py", title="Watch", icon="▶️", url_path="watch", visibility="hidden"),
        st.Page(
            "pages/shared.py",
            title="Shared video",
            icon="🎬",
            url_path="shared",
            visibility="hidden",
        ),
        st.Page(
            "pages/pair.py",
            title="Log in a device",
            icon="📱",
            url_path="pair",
            visibility="hidden",
        ),
    ]


@st.fragment(run_every=3600)
def rerun_after_reconnect() -> None:
    """Draws nothing. With a timed fragment on the page, Streamlit's frontend reruns the script
    when its websocket reconnects (another replica after one died, a restart); without it the
    new session would know none of this page's widgets, skip their callbacks, and lose the
    family's next click."""


def main() -> None:
    from homemovies_core.cache import CacheUnavailable
    from homemovies_core.ui import auth, login_page, navigation, state, tap_targets

    st.set_page_config(page_title="Home Movies", page_icon="🎬", layout="wide")
    rerun_after_reconnect()
    tap_targets.apply()
    svc = services.get()  # built when `streamlit run` imported this module (see the bottom)

    user = auth.current_user(svc)  # from the cookie, server-side: no rerun, no flash
    from homemovies_core.uploads.policy import may_upload

    may_add = bool(user) and may_upload(svc.settings, user)
    page = st.navigation(pages(may_add), position="sidebar" if user else "hidden")
    observe.note(page=page.url_path, user=user)
    base = auth.base_url(svc, page.url_path)
    st.session_state[state.BASE_URL] = base
    auth.deliver_cookie(svc, base)

    if user is None and page.url_path not in PUBLIC_PAGES:
        phone = page.url_path == "pair"  # a phone about to approve a TV needs no QR code itself
        observe.note(page=observe.LOGIN)
        login_page.login_screen(
            svc,
            base=base,
            device_login=not phone,
            intro="Log in to let the device that showed you this code log in too."
            if phone
            else None,
        )
        st.stop()
    if user:
        if page.url_path != navigation.WATCH[0]:
            # Leaving the watch page ends the visit: opening a video again resumes anew (from
            # whatever page this is), not from where the last visit started.
            st.session_state.pop(state.WATCH_VISIT, None)
        # Operator notices are for the family, not for a stranger holding a share link.
        auth.logout_button(svc)
        for warning in svc.warnings:
            st.sidebar.warning(warning, icon="⚠️")
        if svc.cache_degraded:
            st.sidebar.warning(
                "The shared cache (Redis) cannot be reached; using this server's "
                "own memory for now.",
                icon="⚠️",
            )
    try:
        page.run()
    except (
        CacheUnavailable
    ) as exc:  # share links, device codes, sessions: see redis_cache.SharedOnly
        st.error(str(exc))


if get_script_run_ctx(suppress_warning=True) is None:
    # `streamlit run` imports this module at start-up to find `app`: build the services now
    # (a bad configuration stops here, with one sentence) and hand them to our routes.
    from homemovies_core.web.proxy_headers import believe_no_forwarded_headers

    believe_no_forwarded_headers()  # only --trusted_proxies are believed, by us
    svc = services.boot()
    observe.install(json_logs=svc.settings.log_format == "json")
    app = st.App(
        "Home.py",
        routes=routes.build(svc),
        middleware=routes.middleware(
            svc.settings.trusted_proxies,
            media_origin=svc.storage.media_origin,
            idle_seconds=svc.settings.idle_login_minutes * 60,
        ),
    )
    # What start-up built (modules, settings, services) lives as long as the process: out of
    # the garbage collector's sight, its full collections, which hold the GIL, walk only what
    # sessions made since (one took ~110 ms of CPU here, ~45 ms after this).
    gc.collect()
    gc.freeze()
    logging.getLogger("homemovies").info(
        "Home Movies is running: open http://localhost:%s", st.get_option("server.port")
    )
else:
    with observe.script_run():
        main()
