"""The library's grid of video cards, one st.components.v2 component per grid.

A tap on a card (poster, title, anywhere) sets the trigger "open" to the video's key and
calls `on_open` before the script runs, so a rerun in flight can never swallow it.
"""

from __future__ import annotations

import functools
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
    key: str  # the video's key: what `on_open` receives
    title: str
    facts: str = ""
    badge: str = ""
    folder: str = ""  # shown when a grid mixes folders (search, Continue watching)
    poster: str | None = None  # a URL any replica answers
    progress: float | None = None  # 0..1 watched, drawn as a thin bar
    download: bool = False  # not playable in a browser: "Details of …"
    pending: str = ""  # being added ("Processing 63 %"): shown with its state, nothing to open


def grid(
    cards: Sequence[Card], *, key: str, on_open: Callable[[str], None], label: str = "Videos"
) -> None:
    """Draw the cards; `on_open(video_key)` runs when one is tapped."""
    _component(
        key=key,
        # vars(), not dataclasses.asdict: a card holds no nested dataclass to convert, and
        # asdict's deep copy of every field was a quarter of a grid's cost.
        data={"cards": [dict(vars(c)) for c in cards], "label": label},
        on_open_change=functools.partial(_opened, key, on_open),
    )


def _opened(key: str, on_open: Callable[[str], None]) -> None:
    result = st.session_state.get(key)
    video_key = getattr(result, "open", None) if result is not None else None
    if isinstance(video_key, str) and video_key:
        on_open(video_key)
