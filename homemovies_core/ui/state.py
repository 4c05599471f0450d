"""Every key this app keeps in Streamlit's session state, in one place.

Session state is per browser tab and may be lost on a reconnect (another replica, a
restart): nothing here may be needed to get back to the same page — the cookie and the URL
are enough. These keys hold what a tab is in the middle of (a form's error, a device code
on screen, a click on its way to another page).
"""

from __future__ import annotations

# Logging in (auth.py)
SESSION = "hm_session"  # this tab's LoginSession
HANDOFF = "hm_cookie_handoff"  # a hand-off id whose cookie the page has not collected yet
LOGGED_OUT = "hm_logged_out"  # clear the cookie in the browser on the next draw
LOGIN_USER = "hm_login_user"
LOGIN_PASSWORD = "hm_login_password"
LOGIN_ERROR = "hm_login_error"
PAIR_TICKET = "hm_pair_ticket"  # the device code this screen shows
PAIR_ERROR = "hm_pair_error"
BASE_URL = "hm_base_url"  # the app's root URL as this browser reaches it
PAGES = "hm_pages"  # this tab's st.Page lists (Home.py), made once

# The library (pages/library.py): widgets that mirror the URL
FOLDER = "hm_folder"
SEARCH = "hm_search"
ORDER = "hm_order"
TIMELINE_YEAR = "hm_timeline_year"

# Watching (pages/watch.py)
WATCH_VISIT = "hm_watch"  # this visit's start position and progress token
NEW_LINK = "hm_new_share"  # the share link just made, shown once
SHARE_OPEN = "hm_share_open"  # the Share panel is open (its form is drawn only then)
SHARE_LIFETIME = "hm_share_lifetime"
SHARE_PASSWORD = "hm_share_password"

# Adding videos (pages/add.py)
UPLOAD_PAGE_TOKEN = "hm_upload_page_token"  # (user, token, expires) for /api/uploads

# A share link's page (pages/shared.py)
SHARED_PASSWORD = "hm_shared_password"
SHARED_PASSWORD_ERROR = "hm_shared_password_error"


def share_unlocked(share_id: str) -> str:
    """Set once this tab typed the right password for that share link."""
    return f"hm_share_ok:{share_id}"


# Approving a device on the phone (pages/pair.py)
PAIR_RESULT = "hm_pair_result"  # (code, Approval) of this phone's last approval attempt
PAIR_CHECK = "hm_pair_check"

# What a tab holds for the person logged in on it, dropped when someone logs in or out there
# (auth.forget_person): the next person must not write into these resume points or see
# these links.
PER_PERSON = (WATCH_VISIT, NEW_LINK, SHARE_PASSWORD, PAIR_RESULT, PAIR_CHECK)
