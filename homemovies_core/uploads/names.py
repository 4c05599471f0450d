"""Names that come from a person's device or keyboard, made safe to show and to store.

A file's name is hostile input: it may hold path separators, `..`, control characters,
right-to-left overrides that make `gpj.mp4` read as `mp4.jpg`, or run to 500 characters.
Such a name never stops an upload (nothing is lost): it becomes a safe title. A folder name
the person typed is refused with one sentence instead, since they can simply fix it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import UploadError

UNTITLED = "Untitled video"
MAX_TITLE_CHARS = 120
MAX_FOLDER_CHARS = 80
# A movie becomes `<title> (2).hls/` with a poster and segments below it: the folder name
# must fit one file-system name (255 bytes) with room to spare.
MAX_NAME_BYTES = 200
MAX_RAW_NAME = 4096  # longer than any real file name: the rest is not even looked at

# Characters that change the direction of the text around them (Trojan Source, RLO file
# names): never part of a title.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Joiners shape scripts and emoji (e.g. family emoji): format characters we keep.
_KEPT_FORMAT = frozenset("\u200c\u200d")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
_SEPARATORS = re.compile(r"[/\\]+")


@dataclass(frozen=True)
class FileName:
    title: str  # safe to show and to use as a movie's name
    extension: str  # ".mp4", lower-case, or "" when the name has none we trust

    @property
    def display(self) -> str:
        return self.title + self.extension


def _clean(text: str) -> str:
    """NFC, without controls, surrogates, private-use or direction characters; one space
    wherever there was any run of white space."""
    text = unicodedata.normalize("NFC", text[:MAX_RAW_NAME])
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in _BIDI or category in ("Cc", "Cs", "Co", "Cn"):
            kept.append(" " if char in "\t\n\r\v\f" else "")
        elif category == "Cf" and char not in _KEPT_FORMAT:
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())


def _fit(text: str, max_chars: int) -> str:
    """At most `max_chars` characters and MAX_NAME_BYTES bytes of UTF-8, cut between
    characters, without dots or spaces at either end (a leading dot hides a file)."""
    text = text[:max_chars]
    while len(text.encode()) > MAX_NAME_BYTES:
        text = text[:-1]
    return text.strip(" .")


def file_name(raw: object) -> FileName:
    """The safe title and extension of a file name the browser sent (never raises)."""
    text = _clean(raw if isinstance(raw, str) else "")
    base = next((p for p in reversed(_SEPARATORS.split(text)) if p.strip(" .")), "")
    dot = base.rfind(".")
    extension = base[dot:].lower() if dot > 0 else ""
    if not _EXTENSION.match(extension[1:]):
        extension = ""
    stem = base[:dot] if extension else base
    return FileName(title=_fit(stem, MAX_TITLE_CHARS) or UNTITLED, extension=extension)


def folder_name(raw: object) -> str:
    """A new folder's name as typed, made safe; UploadError (one sentence) if it cannot be."""
    if not isinstance(raw, str):
        raise UploadError("Type a name for the new folder.")
    text = _clean(raw)
    if _SEPARATORS.search(text):
        raise UploadError("A folder name cannot contain / or \\.")
    name = _fit(text, MAX_FOLDER_CHARS)
    if not name:
        raise UploadError("Type a name for the new folder (letters or digits, not only dots).")
    if name.lower().endswith(".hls"):
        raise UploadError("A folder name cannot end in .hls (that is how movies are stored).")
    return name
