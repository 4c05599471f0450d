"""Timeline: every video of every folder by when it was filmed, newest first, month by
month, paged; jump to a year. Works from the cached listings and indexes (no storage calls
per view); folders not listed yet are read in the background."""

import streamlit as st

from homemovies_core import library_view, services, timeline
from homemovies_core.formatting import count_caption, plain
from homemovies_core.ui import auth, cards, navigation, state, widgets

PAGE_SIZE = 60


def year_picked() -> None:
    widgets.set_url({"year": str(st.session_state[state.TIMELINE_YEAR])})


def page_of_year(videos: list, year: int, zone) -> int:
    """The page on which `year` begins (videos are newest first)."""
    first = next(
        (
            i
            for i, v in enumerate(videos)
            if (day := timeline.day_of(v, zone)) is not None and day.year <= year
        ),
        0,
    )
    return first // PAGE_SIZE + 1


def read_int(name: str) -> int | None:
    try:
        return int(str(st.query_params.get(name, ""))[:6])
    except ValueError:
        return None


def main() -> None:
    user = auth.require_user()
    svc = services.get()
    zone = auth.viewer_zone()
    st.title("Timeline", anchor=False)
    everything, pending = svc.catalog.cached_videos()
    videos = timeline.ordered(everything)
    if pending:
        st.caption(f"{pending} folder(s) are still being read; reload in a moment for all.")
    if not videos:
        st.info("No videos yet.")
        return
    years = timeline.years(videos, zone)
    year = read_int("year")
    requested = page_of_year(videos, year, zone) if year in years else (read_int("page") or 1)
    paging = library_view.paging(requested, len(videos), PAGE_SIZE)
    shown = videos[paging.start : paging.stop]
    top, jump = st.columns([3, 1], vertical_alignment="center")
    top.caption(f"{count_caption(len(videos))} · page {paging.page} of {paging.pages}")
    if years:
        first = timeline.day_of(shown[0], zone)
        # The control shows the year this page starts in (or the one asked for).
        st.session_state[state.TIMELINE_YEAR] = (
            year if year in years else (first.year if first else years[0])
        )
        jump.selectbox("Jump to a year", years, key=state.TIMELINE_YEAR, on_change=year_picked)
    progress = svc.progress.many(user, [v.key for v in shown])
    for number, group in enumerate(timeline.by_month(shown, zone)):
        st.subheader(plain(group.heading), anchor=False)
        cards.grid(
            [
                widgets.card(svc, v, progress.get(v.key), show_folder=True, zone=zone)
                for v in group.videos
            ],
            key=f"cards:timeline:{number}",
            label=f"Videos of {group.heading}",
            link=lambda key: navigation.href(navigation.WATCH, v=key),
        )
    widgets.page_buttons(paging, {}, back="← Newer", forward="Older →")


main()
