"""Cards for the videos on their way into a folder: uploaded, now waiting or being processed.

Everyone in the family sees them in the folder (share viewers never reach the library). They
refresh on their own in a fragment, every few seconds, which reruns only themselves; when one
is done, the folder's listing is read afresh and the page redrawn once, so the new movie's
own card takes its place.
"""

from __future__ import annotations

import streamlit as st

from ..services import Services
from . import cards

REFRESH_SECONDS = 3


def being_added(svc: Services, folder: str) -> None:
    """The cards, if any video is on its way into `folder`; nothing otherwise."""
    pending = svc.uploads.being_added(folder)
    if pending:
        _cards(svc, folder, tuple(title for title, _label in pending))


@st.fragment(run_every=REFRESH_SECONDS)
def _cards(svc: Services, folder: str, drawn: tuple[str, ...]) -> None:
    pending = svc.uploads.being_added(folder)
    if any(title not in {t for t, _ in pending} for title in drawn):
        svc.catalog.forget(folder)  # one of them is a movie now: list the folder afresh
        st.rerun(scope="app")
    st.caption("Being added")
    cards.grid(
        [
            cards.Card(key=f"pending:{n}", title=title, pending=label)
            for n, (title, label) in enumerate(pending)
        ],
        key="cards:pending",
        label="Videos being added",
        link=None,
    )
