"""Watch: one video in our own player, with its folder's previous/next."""

import base64

import streamlit as st

from homemovies_core import services
from homemovies_core.formatting import human_date, human_size
from homemovies_core.library import Kind, folder_of
from homemovies_core.player import SubtitleTrack, player
from homemovies_core.storage.base import StorageError


def back_to(folder: str) -> None:
    st.switch_page("pages/library.py",
                   query_params={"folder": "/" if folder == "" else folder.rstrip("/")})


def main() -> None:
    svc = services.get()
    key = st.query_params.get("v", "")
    video = svc.catalog.video(key) if key else None
    if video is None:
        st.title("Video not found")
        st.info("This video is not in the library (it may have been moved or renamed).")
        if st.button("← Back to the library"):
            back_to(folder_of(key) if key else "")
        return

    top = st.columns([1, 6])
    if top[0].button("← Back", width="stretch"):
        back_to(video.folder)
    top[1].subheader(video.title)

    try:
        src = svc.urls.video_url(video)
    except StorageError as exc:
        st.error(f"This video cannot be opened right now: {exc}")
        return

    if video.kind is Kind.DOWNLOAD:
        st.info(f"Browsers cannot play {video.badge} files. Download it and open it in a video "
                f"player such as VLC.")
        st.link_button(f"⬇ Download {video.title}", src)
    else:
        poster_bytes = svc.catalog.posters([video]).get(video.key)
        # The card's cached bytes as a data URL: no extra playback grant just for a poster.
        poster = f"data:image/jpeg;base64,{base64.b64encode(poster_bytes).decode()}" \
            if poster_bytes else None
        subtitles = [SubtitleTrack(src=svc.urls.object_url(s.name, within=video),
                                   language=s.language, label=s.label)
                     for s in svc.catalog.hls_subtitles(video)]
        player(src, kind=video.kind.value, title=video.title, poster=poster,
               subtitles=subtitles, force_hlsjs=st.query_params.get("engine") == "hlsjs",
               key="player")

    facts = [video.badge, human_size(video.size), human_date(video.modified)]
    st.caption(" · ".join(f for f in facts if f))

    siblings = list(svc.catalog.folder_view(video.folder).videos)
    index = next((i for i, v in enumerate(siblings) if v.key == video.key), None)
    if index is not None and len(siblings) > 1:
        prev_col, _, next_col = st.columns([2, 3, 2])
        if index > 0 and prev_col.button(f"⏮ {siblings[index - 1].title}", width="stretch"):
            st.query_params["v"] = siblings[index - 1].key
            st.rerun()
        if index + 1 < len(siblings) and next_col.button(f"{siblings[index + 1].title} ⏭",
                                                          width="stretch"):
            st.query_params["v"] = siblings[index + 1].key
            st.rerun()


main()
