"""A movie's name, made safe again on the worker's side, and made unique in its folder.

The upload side has already cleaned the title and checked the folder; a job never trusts
that (the queue is a boundary too): no path separators, `..`, control or direction
characters, no leading dot (the listing would hide it), no more than fits a file name.
Two uploads of "Beach" to one folder become "Beach" and "Beach (2)": a name is taken when
the folder lists a video of that title (ignoring case and accents) or another job has
claimed it in the Cache.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

from .. import library
from ..cache import Cache
from .errors import JobFailed

UNTITLED = "Untitled video"
MAX_TITLE_CHARS = 120
MAX_NAME_BYTES = 200  # the movie's folder name, " (99)" and ".hls" included, fits 255 bytes
CLAIM_SECONDS = 2 * 24 * 3600
_KEPT_FORMAT = frozenset("\u200c\u200d")  # joiners shape scripts and emoji
_SPACES = re.compile(r"\s+")


def safe_title(raw: str) -> str:
    """`raw` as a name that is safe on disk, in a bucket and on a page (never empty)."""
    text = unicodedata.normalize("NFC", raw[:4096])
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in "/\\":
            kept.append(" ")
        elif category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (
            category == "Cf" and char not in _KEPT_FORMAT
        ):
            continue  # controls, direction overrides, unassigned: never part of a name
        else:
            kept.append(char)
    # No leading dot or space: a name starting with "." is hidden by every listing.
    title = _SPACES.sub(" ", "".join(kept)).lstrip(". ").rstrip()
    title = _fit(title).rstrip(". ")
    return title or UNTITLED


def _fit(title: str) -> str:
    title = title[:MAX_TITLE_CHARS]
    while len(title.encode()) > MAX_NAME_BYTES:
        title = title[:-1]
    return title


def check_folder(raw: str) -> str:
    """The folder name ("" for Unsorted, the top level); JobFailed if it is not one the
    upload side could have let through."""
    folder = raw.strip("/")
    if folder and (safe_title(folder) != folder or folder.lower().endswith(library.HLS_SUFFIX)):
        raise JobFailed("The folder name is not allowed; choose another folder and upload again.")
    return folder


def unique_name(
    title: str, folder: str, taken_titles: set[str], claim: Callable[[str], bool]
) -> str:
    """`title`, or "title (2)", "title (3)"… : the first one neither listed nor claimed."""
    taken = {library.fold(t) for t in taken_titles}
    number = 1
    while True:
        name = title if number == 1 else f"{title} ({number})"
        if library.fold(name) not in taken and claim(name):
            return name
        number += 1


class NameClaims:
    """Names chosen by jobs that have not published their movie yet, in the Cache."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def claim(self, folder: str, name: str, job_id: str) -> bool:
        key = self._key(folder, name)
        return self.cache.add(key, job_id, CLAIM_SECONDS) or self.cache.get(key) == job_id

    def release(self, folder: str, name: str, job_id: str) -> None:
        key = self._key(folder, name)
        if self.cache.get(key) == job_id:
            self.cache.delete(key)

    @staticmethod
    def _key(folder: str, name: str) -> str:
        text = f"{folder}/{library.fold(name)}".encode("utf-8", "surrogatepass")
        return "jobs:name:" + hashlib.sha256(text).hexdigest()[:32]
