"""The library page's URL rules: what a URL shows, and the URL each action writes."""

from __future__ import annotations

import pytest

from homemovies_core.library_view import (
    LibraryRequest,
    choose_folder,
    folder_key,
    folder_param,
    folder_params,
    paging,
    read,
    search_params,
)

FOLDERS = ["Home videos/", "Summer 2023 #1/", ""]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, LibraryRequest(None, "", 1)),
        ({"folder": "Summer 2023 #1"}, LibraryRequest("Summer 2023 #1/", "", 1)),
        ({"folder": "/"}, LibraryRequest("", "", 1)),
        ({"folder": "/Home videos/"}, LibraryRequest("Home videos/", "", 1)),
        ({"q": "  beach   day "}, LibraryRequest(None, "beach day", 1)),
        ({"page": "3"}, LibraryRequest(None, "", 3)),
        ({"page": "three"}, LibraryRequest(None, "", 1)),
        ({"page": "9" * 5000}, LibraryRequest(None, "", 999999999)),
        ({"q": "x" * 5000}, LibraryRequest(None, "x" * 200, 1)),
    ],
)
def test_read(params, expected):
    assert read(params) == expected


def test_folder_param_round_trip():
    for key in FOLDERS:
        assert folder_key(folder_param(key)) == key
    assert folder_param("") == "/" and folder_key(None) is None


def test_choose_folder():
    assert choose_folder("Summer 2023 #1/", FOLDERS) == "Summer 2023 #1/"
    assert choose_folder("", FOLDERS) == ""
    assert choose_folder("No such/", FOLDERS) == "Home videos/"
    assert choose_folder(None, FOLDERS) == "Home videos/"
    assert choose_folder(None, []) is None


def test_picking_a_folder_leaves_the_search_and_the_page():
    assert folder_params("Summer 2023 #1/") == {"folder": "Summer 2023 #1"}
    assert folder_params("") == {"folder": "/"}


def test_searching_keeps_the_folder_for_when_the_search_is_cleared():
    assert search_params(" beach ", "Home videos/") == {"folder": "Home videos", "q": "beach"}
    assert search_params("", "Home videos/") == {"folder": "Home videos"}
    assert search_params("beach", None) == {"q": "beach"}


@pytest.mark.parametrize(
    "requested, total, expected",
    [
        (1, 0, (1, 1, 0, 0)),
        (1, 50, (1, 3, 0, 24)),
        (3, 50, (3, 3, 48, 50)),
        (9, 50, (3, 3, 48, 50)),
        (-2, 50, (1, 3, 0, 24)),
        (2, 48, (2, 2, 24, 48)),
    ],
)
def test_paging(requested, total, expected):
    p = paging(requested, total, 24)
    assert (p.page, p.pages, p.start, p.stop) == expected
