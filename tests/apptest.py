"""AppTest helpers for page tests."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

HOME = Path(__file__).resolve().parents[1] / "Home.py"


def app(**query) -> AppTest:
    at = AppTest.from_file(str(HOME), default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    return at


def logged_in(**query) -> AppTest:
    """Home.py run once for a session that is already logged in (as after a password or
    cookie login), on the page the query names.

    AppTest re-runs the last page's script directly on later runs instead of Home.py
    (it treats our pages/ folder as a v1 multipage app), so flows spanning several runs
    of the login gate are tested in the browser instead (test_e2e_local.py)."""
    at = app(**query)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "mum"
    at.session_state["name"] = "Mum"
    at.session_state["logout"] = None
    at.run()
    assert not at.exception, at.exception
    return at
