"""Streamlit's own controls grown to a finger's size on a phone (see tap_targets.css)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_STYLE = "<style>" + Path(__file__).with_name("tap_targets.css").read_text("utf-8") + "</style>"


def apply() -> None:
    """Once per run, before the page draws. Style-only HTML takes no room on the page, but
    Streamlit mounts it a moment after the first draw of a page load (its st.html code loads
    on demand), so the sizes settle then."""
    st.html(_STYLE)
