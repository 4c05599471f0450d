"""The Add videos page's uploader: a file input, a folder choice and this person's uploads,
on st.components.v2 (see uploader.js for how it works in the browser).

It talks to our routes (`web/upload_routes.py`, `web/tus_routes.py`) and, on OCI, to the
bucket through write PARs, never to the Streamlit script: an upload's progress costs no
page run. Its JavaScript is read from the files beside this one and handed to Streamlit as
text (file paths need an installed package with a manifest, which this repository is not).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from ...library import Folder
from ...services import Services
from ...uploads.targets import TUS_CHUNK
from ...web.upload_assets import tus_js_url
from ..state import UPLOAD_PAGE_TOKEN

_HERE = Path(__file__).parent

_component = st.components.v2.component(
    "homemovies.uploader",
    html='<div class="hm-up"></div>',
    css=(_HERE / "uploader.css").read_text(encoding="utf-8"),
    # One module in three files: OCI multipart, the transfers, then the form and the list
    # (which holds the module's default export).
    js="\n".join(
        (_HERE / name).read_text(encoding="utf-8") for name in ("oci.js", "uploader.js", "view.js")
    ),
)


def uploader(
    *, api_url: str, watch_url: str, token: str, folders: Sequence[Folder], key: str = "uploader"
) -> None:
    """Draw the uploader. `token` is this person's page token (uploads.tokens), `api_url` the
    absolute URL of /api/uploads, `watch_url` of the watch page (a link per ready video)."""
    _component(
        key=key,
        data={
            "api": api_url,
            "watch": watch_url,
            "token": token,
            "folders": [{"key": f.key, "title": f.title} for f in folders],
            "tusJs": tus_js_url(),
            "tusChunk": TUS_CHUNK,
        },
    )


def page_token(svc: Services, user: str) -> str:
    """This tab's page token, kept while it has an hour left: the uploader's data (and so the
    component) stays the same across reruns."""
    kept = st.session_state.get(UPLOAD_PAGE_TOKEN)
    if not kept or kept[0] != user or kept[2] - time.time() < 3600:
        token, expires = svc.uploads.tokens.page(user)
        kept = (user, token, expires)
        st.session_state[UPLOAD_PAGE_TOKEN] = kept
    return kept[1]
