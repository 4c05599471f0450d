"""What the browser asks for when a person chooses a file, checked before anything is made:
the file (name, size, last-modified time, type) and the folder it goes to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..formatting import human_size
from ..library import folder_title
from . import names
from .errors import UploadError

# The browser reports last-modified in milliseconds since 1970; anything outside this range is
# not a time (2^53: the largest integer JavaScript holds exactly).
MAX_MODIFIED = 2**53
# Types a browser gives files that are certainly not videos: refused at once, before a byte
# is sent. Anything else (including "", which phones give some videos) is judged by the job.
NOT_VIDEO_TYPES = ("text/", "image/")


@dataclass(frozen=True)
class Chosen:
    raw_name: str  # as the browser sent it (bounded): what matching a file chosen again uses
    file: names.FileName
    size: int
    modified: int
    folder: str  # folder key: "Holidays/" or "" (Unsorted)


def _int(value: Any, low: int, high: int) -> int | None:
    return value if type(value) is int and low <= value <= high else None


def chosen(data: Any, folders: Sequence[str], max_bytes: int) -> Chosen:
    """The choice in `data` (JSON from the page), or UploadError with one sentence.

    `folders` are the library's folder keys; `data["folder"]` must be one of them, or
    `data["new_folder"]` a name to make (or an existing folder's title, in any case).
    """
    if not isinstance(data, dict):
        raise UploadError("Bad request.")
    raw = data.get("name")
    if not isinstance(raw, str) or len(raw) > names.MAX_RAW_NAME:
        raise UploadError("The file's name is missing or too long.")
    file = names.file_name(raw)
    size = _int(data.get("size"), 0, 2**62)
    modified = _int(data.get("modified"), 0, MAX_MODIFIED)
    if size is None or modified is None:
        raise UploadError(f"{file.display}: the browser did not say its size or date.")
    if size == 0:
        raise UploadError(f"{file.display} is empty (0 bytes): choose the video itself.")
    if size > max_bytes:
        raise UploadError(
            f"{file.display} is {human_size(size)}; videos up to {human_size(max_bytes)} "
            f"can be added.",
            413,
        )
    kind = data.get("type")
    if isinstance(kind, str) and kind.lower().startswith(NOT_VIDEO_TYPES):
        raise UploadError(f"{file.display} is not a video.")
    return Chosen(raw, file, size, modified, _folder(data, folders))


def _folder(data: dict, folders: Sequence[str]) -> str:
    new = data.get("new_folder")
    if new not in (None, ""):
        name = names.folder_name(new)
        same = [k for k in folders if folder_title(k).casefold() == name.casefold()]
        return same[0] if same else name + "/"
    key = data.get("folder")
    if not isinstance(key, str) or key not in folders:
        raise UploadError("Choose a folder for the videos, or type a name for a new one.")
    return key
