"""Page tests with Streamlit's AppTest: the real Home.py and pages, no browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from homemovies_core.formatting import plain
from tests.support.apptest import app, cards, logged_in

PASSWORD = "s3cret pass"


def test_login_gate_shows_only_the_form(svc):
    at = app()
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.sidebar.radio  # no folder names for strangers
    assert not at.exception


def test_folders_cards_and_selection_in_url(svc):
    at = logged_in()
    radio = at.sidebar.radio[0]
    # Labels are Markdown-escaped (a folder name is never formatting); the browser shows them
    # as they are (test_e2e_local.py).
    assert radio.options == [plain(t) for t in ("Home videos", "Summer 2023 #1", "Unsorted")]
    assert list(radio.proto.captions) == ["3 videos", "2 videos", "1 video"]
    radio.set_value("Summer 2023 #1/").run()
    assert at.title[0].value == plain("Summer 2023 #1")
    assert at.query_params["folder"] == "Summer 2023 #1"
    # Newest filmed first (the order itself: tests/test_timeline.py).
    assert sorted(c["title"] for c in cards(at)) == ["Beach day", "Ünïcode café"]
    assert all(not c["download"] for c in cards(at))


def test_bookmarked_folder_opens_directly(svc):
    at = logged_in(folder="Home videos")
    assert at.title[0].value == "Home videos"
    assert [c["title"] for c in cards(at) if c["download"]] == ["Old"]


def test_unknown_folder_falls_back_to_the_first(svc):
    at = logged_in(folder="No such folder")
    assert at.title[0].value == "Home videos"


def test_watch_page_for_a_download_only_file(svc):
    at = logged_in()
    at.switch_page("pages/watch.py")
    at.query_params["v"] = "Home videos/Old.avi"
    at.run()
    assert any("Browsers cannot play AVI files" in i.value for i in at.info)


def test_watch_page_for_a_missing_video(svc):
    at = logged_in()
    at.switch_page("pages/watch.py")
    at.query_params["v"] = "Home videos/gone.mp4"
    at.run()
    assert at.title[0].value == "Video not found"
    assert not at.exception


@pytest.mark.parametrize("page", ["library.py", "watch.py", "shares.py", "pair.py", "devices.py"])
def test_private_pages_refuse_a_direct_run_without_login(svc, page):
    # Streamlit runs files in pages/ directly if Home.py ever fails before st.navigation;
    # a private page must then show nothing of the library.
    at = AppTest.from_file(f"../pages/{page}", default_timeout=30)
    at.query_params["v"] = "Summer 2023 #1/Beach day.mp4"
    at.run()
    assert [i.value for i in at.info] == ["Please log in."]
    assert not at.sidebar.radio and not at.button and not at.title


def test_a_person_removed_from_the_users_is_logged_out(svc):
    """A session of someone no longer among the users (removed with `users remove`, then a
    restart) is no login any more, whatever cookie or session state it kept."""
    from homemovies_core.sessions import SessionStore
    from homemovies_core.ui import state

    # Made while the person was still listed (same Cache, same key), as before a restart.
    before = SessionStore(
        svc.sessions.cache, svc.key("session"), generation_of={"someone-removed": "1"}.get
    )
    at = app()
    at.session_state[state.SESSION] = before.start(
        "someone-removed", device="AppTest", address="192.0.2.1", via="password"
    )
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.sidebar.radio


def watch(at: AppTest, key: str) -> AppTest:
    at.switch_page("pages/watch.py")
    at.query_params["v"] = key
    return at.run()


@pytest.mark.parametrize(
    "elsewhere", ["pages/library.py", "pages/timeline.py", "pages/shares.py", "pages/devices.py"]
)
def test_opening_a_video_again_from_any_page_resumes_where_it_was_left(svc, elsewhere):
    """One visit to the watch page keeps its start position (the player must not jump on a
    rerun); leaving it for any page ends the visit, so the next one starts where the player
    last reported."""
    from homemovies_core.ui import auth

    key = "Summer 2023 #1/Beach day.mp4"
    at = logged_in()
    user = at.session_state[auth.SESSION].username
    svc.progress.clear(user, key)
    try:
        watch(at, key)
        assert not any("Resuming at" in c.value for c in at.caption)
        svc.progress.record(user, key, 30.0, None)  # the player reported while it played
        at.run()  # a rerun of the same visit (the share panel, say): same start
        assert not any("Resuming at" in c.value for c in at.caption)
        at.switch_page(elsewhere).run()
        assert not at.exception, at.exception
        watch(at, key)
        assert any("Resuming at 0:30" in c.value for c in at.caption)
    finally:
        svc.progress.clear(user, key)  # "Continue watching" stays empty for the other tests


def test_a_failed_grant_for_subtitles_is_the_watch_page_s_one_sentence(svc, monkeypatch):
    # The video's own URL is fine; its subtitle file (a grant of its own) cannot be granted.
    from homemovies_core.storage.base import StorageError

    def refuse(*_args, **_kwargs):
        raise StorageError("The storage did not answer.")

    at = logged_in()
    monkeypatch.setattr(svc.urls, "object_url", refuse)
    watch(at, "Summer 2023 #1/Beach day.mp4")
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "This video cannot be opened right now: " + plain("The storage did not answer.")
    ]


@pytest.mark.parametrize("key", ["Summer 2023 #1/Beach day.mp4", "Summer 2023 #1/gone.mp4"])
def test_back_leads_to_the_video_s_folder_and_keeps_the_search(svc, key):
    """ "← Back" is a page link (one script run, see navigation.link): to the library, on the
    folder the video is in, with the search it was found by; for a video that is gone, to its
    folder all the same."""
    at = logged_in()
    at.switch_page("pages/watch.py")
    at.query_params["v"] = key
    at.query_params["q"] = "beach #1 & co"
    at.run()
    links = [e.proto for e in at.get("page_link") if e.proto.label.startswith("← Back")]
    assert len(links) == 1
    link = links[0]
    assert link.page == ""  # the library, the default page
    assert parse_qs(link.query_string) == {
        "folder": ["Summer 2023 #1"],
        "q": ["beach #1 & co"],
    }
    assert not at.exception


def test_a_card_leads_to_its_video_with_the_search_it_was_found_by(svc):
    """A card is a link (one script run, a new tab on a long press; see cards.js): to the
    watch page of its video, relative to the page that shows it, with the search it was found
    by. Odd names (a space, '#', unicode) are encoded, never taken as part of the URL."""
    at = logged_in(folder="Summer 2023 #1")
    links = {c["title"]: urlsplit(c["href"]) for c in cards(at)}
    assert set(links) == {"Beach day", "Ünïcode café"}
    for title, url in links.items():
        assert (url.scheme, url.netloc, url.path) == ("", "", "watch")  # relative, same app
        assert parse_qs(url.query) == {"v": [f"Summer 2023 #1/{title}.mp4"]}

    at = logged_in(q="Beach day")
    found = {c["title"]: urlsplit(c["href"]) for c in cards(at)}
    assert list(found) == ["Beach day"]
    assert parse_qs(found["Beach day"].query) == {
        "v": ["Summer 2023 #1/Beach day.mp4"],
        "q": ["Beach day"],
    }
    assert not at.exception
