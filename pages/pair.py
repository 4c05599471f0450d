"""The phone's side of a TV login: check the code, show which device asks, approve.

The login gate in Home.py has already made the phone log in (keeping ?code= in the URL).
Unknown codes count against this address, so codes cannot be guessed quickly.
"""

import math

import streamlit as st

from homemovies_core import auth, services
from homemovies_core.pairing import (
    Pairing,
    PairingRequest,
    display_code,
    guess_throttle,
    normalise_code,
)


def ask_for_code() -> None:
    with st.form("pair_code"):
        typed = st.text_input("The code shown on the TV", max_chars=12,
                              placeholder="ABCD-EFGH")
        if st.form_submit_button("Continue", type="primary") and typed.strip():
            st.query_params["code"] = typed.strip()
            st.rerun()


def approve(pairing: Pairing, request: PairingRequest, user: str) -> None:
    if pairing.approve(request.code, user) is None:
        st.session_state["hm_pair_result"] = "gone"
    else:
        st.session_state["hm_pair_result"] = request.code


def main() -> None:
    svc = services.get()
    user = auth.require_user()
    st.title("📱 Log in a device")
    code = st.query_params.get("code", "")
    if not code:
        st.write("Type the code that the TV or computer shows under its QR code.")
        ask_for_code()
        return

    result = st.session_state.get("hm_pair_result")
    if result is not None and result == normalise_code(code):  # approved here, maybe used
        st.success("Approved. The device logs in within a few seconds.")
        return
    pairing = Pairing(svc.cache)
    request = pairing.lookup(code)

    address = auth.the_client_address(svc)
    throttle = guess_throttle(svc.cache)
    wait = throttle.locked_for(user, address)
    if wait > 0:
        st.error(f"Too many codes that do not work. Try again in {math.ceil(wait / 60)} "
                 f"minutes.")
        return
    if request is None or request.approved_by:
        if request is None:
            throttle.record_failure(user, address)
        st.warning("This code does not work (any more). Codes work once, for 10 minutes: "
                   "reload the page on the TV for a new one and try again.")
        st.query_params.pop("code", None)
        ask_for_code()
        return

    st.write(f"**{request.device}** at address **{request.address}** asks to log in as "
             f"you. Approve only if it is the screen in front of you, showing "
             f"**{display_code(request.code)}**.")
    st.button("Approve", type="primary", on_click=approve, args=(pairing, request, user))
    if result == "gone":
        st.warning("That code expired before it was approved. Get a new one on the TV.")


main()
