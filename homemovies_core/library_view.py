"""What the library page shows, decided from its URL alone (pure; no Streamlit).

The URL is the single source of truth: `?folder=` (the folder's key without its trailing
"/", or "/" for the root's loose videos, "Unsorted"), `?q=` (a search across all folders,
which wins over the folder), `?sort=` (newest, oldest or name) and `?page=`. Widgets only
*write* the URL, in their callbacks; every run draws from it. So a bookmark, the Back button, a reload on another
replica and a click all arrive at the same place, and nothing has to be kept in sync.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ROOT_PARAM = "/"
MAX_QUERY = 200  # a pasted paragraph is not a search; a URL is not a place to store one


SORTS = ("newest", "oldest", "name")  # newest-filmed first is the default


@dataclass(frozen=True)
class LibraryRequest:
    folder: str | None  # a folder key ("Holidays/", "" for Unsorted), None if not given
    query: str  # "" when not searching
    page: int  # 1-based, as asked for (clamped later, once the folder's size is known)
    sort: str = SORTS[0]

    @property
    def landing(self) -> bool:
        """The first view after logging in (no folder, no search): where "On this day" is."""
        return self.folder is None and not self.query


def folder_param(key: str) -> str:
    return ROOT_PARAM if key == "" else key.rstrip("/")


def folder_key(param: str | None) -> str | None:
    if param is None:
        return None
    return "" if param == ROOT_PARAM else param.strip("/") + "/"


def read(params: Mapping[str, str]) -> LibraryRequest:
    """The request a URL's query parameters make; odd values are ignored, never an error."""
    try:
        page = int(str(params.get("page", "1"))[:9])
    except ValueError:
        page = 1
    query = " ".join(str(params.get("q", "")).split())[:MAX_QUERY]
    sort = params.get("sort") if params.get("sort") in SORTS else SORTS[0]
    return LibraryRequest(
        folder=folder_key(params.get("folder")), query=query, page=page, sort=sort
    )


def choose_folder(requested: str | None, available: Sequence[str]) -> str | None:
    """The folder to show: the one asked for if it exists, else the first."""
    if requested is not None and requested in available:
        return requested
    return available[0] if available else None


def folder_params(key: str, sort: str = SORTS[0]) -> dict[str, str]:
    """The URL of a folder: picking one leaves any search and starts at its first page; the
    chosen order stays."""
    return {"folder": folder_param(key), **({"sort": sort} if sort != SORTS[0] else {})}


def search_params(query: str, folder: str | None) -> dict[str, str]:
    """The URL of a search (typed in the sidebar); the folder is kept for when it is cleared."""
    params = {} if folder is None else {"folder": folder_param(folder)}
    query = " ".join(query.split())[:MAX_QUERY]
    return {**params, "q": query} if query else params


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int
    start: int
    stop: int


def paging(requested: int, total: int, page_size: int) -> Paging:
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, requested), pages)
    return Paging(page, pages, (page - 1) * page_size, min(total, page * page_size))
