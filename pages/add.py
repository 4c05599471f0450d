"""Add videos: choose them on this device (a phone opens its camera roll), pick a folder, and
follow each one until it plays. The uploads themselves run in the browser (ui/uploader)."""

import streamlit as st

from homemovies_core import services
from homemovies_core.formatting import human_size, plain
from homemovies_core.storage.base import StorageError
from homemovies_core.ui import auth, widgets
from homemovies_core.ui.uploader import page_token, uploader


def main() -> None:
    user = auth.require_user()
    svc = services.get()
    st.title("Add videos", anchor=False)
    reason = svc.uploads.refusal(user)
    if reason is not None:
        st.info(plain(reason))
        return
    try:
        folders = svc.catalog.folders()
    except StorageError as exc:
        st.warning(f"The library's folders cannot be read right now: {plain(exc)}")
        folders = []
    st.caption(
        f"Videos up to {human_size(svc.uploads.max_bytes)} each. If an upload is cut short "
        f"(a closed tab, a phone that slept), choose the same video again within a day: it "
        f"goes on from where it stopped."
    )
    uploader(
        api_url=widgets.app_url("api/uploads"),
        watch_url=widgets.app_url("watch"),
        token=page_token(svc, user),
        folders=folders,
    )


main()
