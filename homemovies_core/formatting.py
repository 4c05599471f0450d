"""Human-friendly sizes, dates and durations for cards and captions."""

from __future__ import annotations

import math
import re
from datetime import date, datetime


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def human_date(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.day} {moment:%b %Y}"


def human_day(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day:%b %Y}"


def human_duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:&=\"'^/%;,?@")
# GitHub-flavoured Markdown turns bare "https://…", "www.…" and "a@b.c" into links after the
# escapes are undone, so escaping cannot stop it; an invisible WORD JOINER inside each of
# those patterns does (the text reads and copies the same, apart from that character).
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]:)(?=//)|(?<=www)(?=\.)|(?=@)")


def plain(text: object) -> str:
    """`text` shown exactly as it is wherever Streamlit reads Markdown (titles, captions,
    buttons, toasts, alerts): ASCII punctuation is backslash-escaped, as CommonMark allows,
    and autolinks are broken, so a file name or a `?q=` can never become a link, an image (a
    tracking pixel), an emoji shortcode, a colour directive or LaTeX (`$`). Line breaks become
    spaces: one name is one line."""
    flat = " ".join(str(text).split("\n")).replace("\r", " ")
    flat = _AUTOLINK.sub(_JOINER, flat)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in flat)


def whole_minutes(seconds: float) -> str:
    """A wait in whole minutes ("15 minutes"), rounded up: it never reads "0 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def try_again_in(seconds: float) -> str:
    return f"Try again in {whole_minutes(seconds)}."


def count_caption(count: int | None) -> str:
    """How many videos ("1 video", "3 videos"); "…" while the count is not known yet."""
    if count is None:
        return "…"
    return f"{count} video" if count == 1 else f"{count} videos"
