"""Shared links: every active link, when it was made and when it expires, and a way to
withdraw it. (Links themselves are shown only once, when made: the app keeps no copy.)"""

import time
from datetime import UTC, datetime

import streamlit as st

from homemovies_core import services
from homemovies_core.cache import CacheUnavailable
from homemovies_core.formatting import human_date, plain
from homemovies_core.shares import Share, describe_expiry
from homemovies_core.ui import auth


def revoke(svc: services.Services, share: Share) -> None:
    if auth.acting_user(svc) is None:  # before the login gate: is this tab still logged in?
        return
    try:
        svc.shares.revoke(share.id)
    except CacheUnavailable as exc:  # a revocation one replica alone knew would be undone
        st.toast(str(exc), icon="⚠️")
        return
    st.toast(f"The link to “{plain(share.title)}” no longer works.", icon="🔗")


def main() -> None:
    auth.require_user()
    svc = services.get()
    store = svc.shares
    st.title("Shared links", anchor=False)
    shares = store.active()
    if not shares:
        st.info(
            "No video is shared right now. Use the 🔗 Share button on a video to make a "
            "link for someone who has no account."
        )
        return
    st.caption(
        "Anyone holding one of these links can watch that one video until it expires. "
        "Revoking a link stops it from opening; someone already watching can finish, "
        f"for up to {svc.settings.par_ttl_hours:g} hours."
    )
    now, zone = time.time(), auth.viewer_zone()
    for share in shares:
        with st.container(border=True):
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.markdown(
                f"**{plain(share.title)}**" + (" · 🔒 password" if share.protected else "")
            )
            owner = plain(svc.credentials.display_name(share.owner))
            text.caption(
                f"Made {human_date(_moment(share.created, zone))} by {owner} · "
                f"expires {describe_expiry(share.expires, now, zone)}"
            )
            button.button(
                "Revoke",
                key=f"revoke:{share.id}",
                width="stretch",
                on_click=revoke,
                args=(svc, share),
            )


def _moment(epoch: float, zone) -> datetime:
    return datetime.fromtimestamp(epoch, zone or UTC)


main()
