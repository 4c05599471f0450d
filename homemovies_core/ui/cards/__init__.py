"""The library's grid of video cards, one st.components.v2 component per grid.

Each card is a link (`link(video_key)`, e.g. to the watch page): a tap anywhere on it opens
that page the way Streamlit's own page links do, with one script run (cards.js); a long press
or a middle click opens it in a new tab. Nothing runs on the server for the tap itself, so
no rerun in flight can swallow it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

_HERE = Path(__file__).parent

_component = st.components.v2.component(
    "homemovies.cards",
    html='<ul class="hm-cards" role="list"></ul>',
    css=(_HERE / "cards.css").read_text(encoding="utf-8"),
    js=(_HERE / "cards.js").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class Card:
    key: str  # the video's key: what `link` receives
    title: str
    facts: str = ""
    badge: str = ""
    folder: str = ""  # shown when a grid mixes folders (search, Continue watching)
    poster: str | None = None  # a URL any replica answers
    progress: float | None = None  # 0..1 watched, drawn as a thin bar
    download: bool = False  # not playable in a browser: "Details of …"
    pending: str = ""  # being added ("Processing 63 %"): shown with its state, nothing to open


def grid(
    cards: Sequence[Card],
    *,
    key: str,
    link: Callable[[str], str] | None,
    label: str = "Videos",
) -> None:
    """Draw the cards, each a link to `link(video_key)` (a URL relative to this page, see
    navigation.href); with no `link`, or for a card still being added, nothing to open."""
    _component(
        key=key,
        # vars(), not dataclasses.asdict: a card holds no nested dataclass to convert, and
        # asdict's deep copy of every field was a quarter of a grid's cost.
        data={
            "cards": [
                {**vars(c), "href": link(c.key) if link and not c.pending else ""} for c in cards
            ],
            "label": label,
        },
    )
