""" "Download original" on the watch page: the file a movie added from a browser keeps."""

from __future__ import annotations

import streamlit as st

from ..downloads import attachment_url, download_name
from ..library import Video
from ..services import Services


def download_button(svc: Services, video: Video) -> None:
    """A link that saves the movie's original under its title; nothing if it keeps none.
    May raise StorageError (the grant), like the player's own URL."""
    original = svc.catalog.hls_original(video)
    if original is None:
        return
    url = svc.urls.object_url(original, within=video)  # rides on the movie's playback grant
    filename = download_name(video, original)
    st.link_button("⬇ Download original", attachment_url(url, svc.storage.kind, filename))
