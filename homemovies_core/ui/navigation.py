"""Going to another page from a click, so that the click is never lost.

A button's callback records where to go (`go`) and switches there at once; Home.py follows
the record after `st.navigation` (`follow`) until that page is the one drawn. Callbacks run
before the script, and the intent stays in session state until it is fulfilled, so a rerun
that interrupts the run a click started cannot swallow the click: the next run simply goes
there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from .state import GOTO, PAGES

LIBRARY = ("", "pages/library.py")  # the default page: its url_path is ""
WATCH = ("watch", "pages/watch.py")
MAX_SWITCHES = 3


@dataclass(frozen=True)
class Intent:
    url_path: str
    script: str
    params: dict[str, str] = field(default_factory=dict)
    switches: int = 0  # how often `follow` switched for it: bounded, so it can never loop


def _target(intent: Intent):
    """This tab's st.Page for the intent (Home.pages keeps them), else its script path.
    Streamlit resolves a path's real path on disk (a system call per folder) and compares it
    with every page's on every switch; a Page object it takes as it is. Either list of pages
    will do: a page's identity is its URL path."""
    for listed in st.session_state.get(PAGES, {}).values():
        for page in listed:
            if page.url_path == intent.url_path:
                return page
    return intent.script


def link(where, page: tuple[str, str], label: str, *, width="content", **params: str) -> None:
    """A link in `where` (st, a column) to `page` with these query parameters: for going back,
    where no callback has anything to do first. The browser's own page switch is one script
    run; a button's callback that switches pages is two (the click's run ends as it begins)."""
    _url_path, script = page
    where.page_link(
        script,  # a path, not the st.Page: a link to a Page shows the Page's icon too
        label=label,
        query_params={k: v for k, v in params.items() if v},
        width=width,
    )


def go(page: tuple[str, str], **params: str) -> None:
    """For callbacks: open `page` (LIBRARY, WATCH) with these query parameters."""
    url_path, script = page
    intent = Intent(url_path, script, {k: v for k, v in params.items() if v})
    st.session_state[GOTO] = intent
    # Switching from the callback, Streamlit ends the run this click started before its
    # script begins (it queues a callback's rerun and stops at the first yield point):
    # otherwise that run would draw the old page's top half only for `follow` to leave it.
    # Should a newer rerun replace this switch, `follow` still goes there.
    st.switch_page(_target(intent), query_params=intent.params)


def follow(current_url_path: str) -> None:
    """Switch to the page a click asked for, unless it is the one being drawn."""
    intent: Intent | None = st.session_state.get(GOTO)
    if intent is None:
        return
    # The library is also at /library (for links and bookmarks).
    here = current_url_path in (
        (intent.url_path, "library") if intent.url_path == "" else (intent.url_path,)
    )
    if intent.switches >= MAX_SWITCHES or (
        here and all(st.query_params.get(k) == v for k, v in intent.params.items())
    ):
        st.session_state.pop(GOTO, None)
        return
    st.session_state[GOTO] = Intent(
        intent.url_path, intent.script, intent.params, intent.switches + 1
    )
    st.switch_page(_target(intent), query_params=intent.params)
