"""Going to another page with one script run: links, never a callback that switches.

Streamlit's frontend follows a page link itself: it asks the server for the new page, with its
query string, in one script run. A button whose callback calls st.switch_page costs two (the
click's run ends as it begins, then the new page runs) and waits for the first to stop. So
"← Back" is an st.page_link (`link`), and a video card is an <a href> (`href`) that the cards
component follows the same way (cards.js). Neither needs anything the server remembered about
the page: after a reconnect to another replica, the next click still goes where it says.
"""

from __future__ import annotations

from urllib.parse import urlencode

LIBRARY = ("", "pages/library.py")  # the default page: its url_path is ""
WATCH = ("watch", "pages/watch.py")


def link(where, page: tuple[str, str], label: str, *, width="content", **params: str) -> None:
    """A page link in `where` (st, a column) to `page` with these query parameters."""
    _url_path, script = page
    where.page_link(
        script,  # a path, not the st.Page: a link to a Page shows the Page's icon too
        label=label,
        query_params=_given(params),
        width=width,
    )


def href(page: tuple[str, str], **params: str) -> str:
    """The URL of `page` with these query parameters, relative to the page that shows it: every
    page sits at the top of the app's path (/watch, /timeline, / for the library), so a
    relative URL is right under any base path a proxy puts the app at."""
    url_path, _script = page
    query = urlencode(_given(params))
    return (url_path or "./") + (f"?{query}" if query else "")


def _given(params: dict[str, str]) -> dict[str, str]:
    """The parameters that have a value: an empty one is left out of the URL."""
    return {k: v for k, v in params.items() if v}
