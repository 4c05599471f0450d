"""AppTest helpers for page tests."""

from __future__ import annotations

from pathlib import Path

import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

HOME = Path(__file__).resolve().parents[2] / "Home.py"


class _OnlyNavigation(PagesManager):
    """AppTest resets `PagesManager.uses_pages_directory` before every run; with a pages/
    folder beside Home.py it would then run a page switched to as a file of its own, without
    Home.py's login gate and navigation around it. Its reset lands on this subclass instead,
    so every run goes through Home.py as on the real server."""


def app(**query) -> AppTest:
    # The real server learns this when it imports Home.py at start-up (see Home.py); AppTest
    # never imports it that way, so say it here too.
    PagesManager.uses_pages_directory = False
    app_test.PagesManager = _OnlyNavigation
    at = AppTest.from_file(str(HOME), default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    return at


def logged_in(**query) -> AppTest:
    """Home.py run once for a session that is already logged in (as after a password or
    cookie login), on the page the query names."""
    from homemovies_core import services
    from homemovies_core.ui import auth

    svc = services.get()
    at = app(**query)
    at.session_state[auth.SESSION] = auth.store(svc).start(
        next(iter(svc.credentials)), device="AppTest", address="192.0.2.1", via="password"
    )
    at.run()
    assert not at.exception, at.exception
    return at


def cards(at: AppTest) -> list[dict]:
    """The video cards the page drew (our grid component's data), in order."""
    import json

    found = []
    for element in at.main:
        proto = getattr(element, "proto", None)
        if getattr(proto, "component_name", "") == "homemovies.cards":
            found.extend(json.loads(proto.json)["cards"])
    return found
