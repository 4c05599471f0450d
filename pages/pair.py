"""The phone's side of a TV login: the code, which device asks and from where, the check
number from the TV's screen, approve.

The login gate in Home.py has already made the phone log in (keeping ?code= in the URL).
Unknown codes count against this user and address, so codes cannot be guessed quickly.
"""

import streamlit as st

from homemovies_core import services
from homemovies_core.cache import CacheUnavailable
from homemovies_core.formatting import plain, try_again_in
from homemovies_core.pairing import (
    Approval,
    PairingRequest,
    display_code,
    network_clue,
    normalise_code,
)
from homemovies_core.ui import auth
from homemovies_core.ui.state import PAIR_CHECK as CHECK
from homemovies_core.ui.state import PAIR_RESULT as RESULT


def ask_for_code() -> None:
    with st.form("pair_code"):
        typed = st.text_input("The code shown on the TV", max_chars=12, placeholder="ABCD-EFGH")
        if st.form_submit_button("Continue", type="primary") and typed.strip():
            st.query_params["code"] = typed.strip()[:12]
            st.rerun()


def approve(svc: services.Services, code: str) -> None:
    """The Approve button's callback (runs before the script: the click always counts; and
    before the login gate, so it asks whether this tab's session is still live)."""
    user = auth.acting_user(svc)
    if user is None:
        return
    try:
        result = svc.pairing.approve(code, user, str(st.session_state.get(CHECK) or ""))
    except CacheUnavailable as exc:
        result = str(exc)
    st.session_state[CHECK] = ""
    st.session_state[RESULT] = (code, result)


def main() -> None:
    svc = services.get()
    user = auth.require_user()
    st.title("📱 Log in a device", anchor=False)
    code = normalise_code(st.query_params.get("code", "")) or ""
    if not st.query_params.get("code"):
        st.write("Type the code that the TV or computer shows under its QR code.")
        ask_for_code()
        return

    done_code, result = st.session_state.get(RESULT, (None, None))
    if done_code == code and result is Approval.APPROVED:
        st.success("Approved. The device logs in within a few seconds.")
        return

    address = auth.the_client_address(svc)
    throttle = svc.throttles.pair_guess
    wait = throttle.blocked(user, address)
    if wait > 0:
        st.error(f"Too many codes that do not work. {try_again_in(wait)}")
        return
    request = svc.pairing.lookup(code) if code else None
    if request is None or request.approved_by:
        throttle.failed(user, address)
        st.warning(
            "This code does not work (any more). Codes work once, for 10 minutes: "
            "ask the TV for a new one and try again."
        )
        st.query_params.pop("code", None)
        ask_for_code()
        return
    show_request(request, address)
    with st.form("pair_approve"):
        st.text_input(
            "The 3-digit number the TV shows under the code",
            key=CHECK,
            max_chars=3,
            placeholder="123",
        )
        st.form_submit_button("Approve", type="primary", on_click=approve, args=(svc, request.code))
    if done_code == code and isinstance(result, str):
        st.error(result)
    if done_code == code and result is Approval.WRONG_NUMBER:
        st.error(
            "That is not the number on the TV. Look at the screen in front of you and "
            "type the number under the code."
        )


def show_request(request: PairingRequest, phone_address: str) -> None:
    st.write(
        f"**{plain(request.device)}** at address **{plain(request.address)}**, "
        f"{network_clue(request.address, phone_address)}, asks to log in as you "
        f"(code {display_code(request.code)})."
    )
    st.warning(
        "Approve only a screen you can see in front of you. If someone sent you this "
        "link or code, do not approve: they would see all of the family's videos.",
        icon="⚠️",
    )


main()
