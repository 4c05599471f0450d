"""The Add videos page (AppTest: the real Home.py and page, no browser): the uploader for
those who may add videos, one sentence for everyone else, nothing without a login."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from homemovies_core import services
from homemovies_core.formatting import plain
from homemovies_core.uploads import policy
from tests.support.accounts import built_services
from tests.support.apptest import logged_in


@pytest.fixture
def library(tmp_path):
    (tmp_path / "Family").mkdir()
    (tmp_path / "Trips").mkdir()
    return tmp_path


def add_videos(library, *flags: str) -> AppTest:
    svc = built_services(library, *flags, username="Mum")
    services.install(svc)
    at = logged_in()
    at.switch_page("pages/add.py").run()
    assert not at.exception, at.exception
    return at


def uploader_data(at: AppTest) -> dict | None:
    for element in at.main:
        proto = getattr(element, "proto", None)
        if getattr(proto, "component_name", "") == "homemovies.uploader":
            return json.loads(proto.json)
    return None


def test_the_uploader_for_someone_who_may_add(library):
    try:
        at = add_videos(library)
        assert at.title[0].value == "Add videos"
        data = uploader_data(at)
        assert data is not None
        assert data["api"].endswith("/api/uploads") and data["watch"].endswith("/watch")
        assert data["tusJs"].startswith("/uploads/tus.min.js?v=")
        svc = services.get()
        assert svc.uploads.tokens.page_user(data["token"]) == "mum"
        at.run()  # a rerun keeps the same token: the component is not redrawn for nothing
        assert uploader_data(at)["token"] == data["token"]
    finally:
        services.get().jobs.stop()
        services.install(None)


@pytest.mark.parametrize(
    ("flags", "sentence"),
    [(("--no_uploads",), policy.OFF), (("--uploaders", "dad"), policy.NOT_YOU)],
)
def test_one_sentence_for_everyone_else(library, flags, sentence):
    try:
        at = add_videos(library, *flags)
        assert [i.value for i in at.info] == [plain(sentence)]  # escaped for Markdown
        assert uploader_data(at) is None
    finally:
        services.install(None)


def test_no_uploader_without_a_login(library):
    services.install(built_services(library, username="Mum"))
    try:
        at = AppTest.from_file("../pages/add.py", default_timeout=30)
        at.run()
        assert [i.value for i in at.info] == ["Please log in."]
        assert uploader_data(at) is None
    finally:
        services.install(None)
