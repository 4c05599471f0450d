"""Search video titles across all folders: case- and accent-insensitive word prefixes.

"caf" finds "Ünïcode café", "party 2" finds "Party #2 ?", "BEACH" finds "Beach day".
Every word of the query must begin some word of the title. It runs over the folder
listings the catalog already caches, so a query costs no storage calls: O(number of
videos) string checks, a few milliseconds for thousands of videos (an `.hls/` folder is
one entry, its segments are never listed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .library import Video, fold, natural_key

MAX_QUERY_WORDS = 8  # a pasted paragraph is not a search
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script; "_", "#", "+", "." split


def words(text: str) -> tuple[str, ...]:
    """The folded words of a title or query: "Ünïcode café" → ("unicode", "cafe")."""
    return tuple(_WORD.findall(fold(text)))


def matches(query_words: tuple[str, ...], title: str) -> bool:
    if not query_words:
        return False
    title_words = words(title)
    return all(any(w.startswith(q) for w in title_words) for q in query_words)


@dataclass(frozen=True)
class SearchResult:
    videos: tuple[Video, ...]
    total: int  # matches before the limit
    pending_folders: int  # folders not listed yet (being listed in the background)


def search(
    videos: Iterable[Video], query: str, *, limit: int = 100, pending_folders: int = 0
) -> SearchResult:
    """Matching videos, titles that start with the query first, then in natural order."""
    wanted = words(query)[:MAX_QUERY_WORDS]
    found = [v for v in videos if matches(wanted, v.title)]
    first = wanted[0] if wanted else ""
    found.sort(key=lambda v: (not fold(v.title).startswith(first), natural_key(v.title), v.key))
    return SearchResult(tuple(found[:limit]), len(found), pending_folders)
