"""Small Streamlit pieces more than one page draws. (Streamlit-side, like auth.py.)"""

from __future__ import annotations

import streamlit as st

from . import links
from .formatting import plain, try_again_in

__all__ = ["plain", "qr_code", "try_again_in"]


def qr_code(text: str, *, width: int) -> None:
    """A QR code as an inline SVG data URL: no image kept in this process's media store, so
    any replica can draw the page that shows it."""
    st.html(f'<img src="{links.qr_svg_data_uri(text)}" width="{int(width)}" '
            f'height="{int(width)}" alt="QR code" style="background:#fff">')
