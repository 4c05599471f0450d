"""Turn one-level listings into folders and videos: the library's layout rules.

Rules (the original's, made robust):
- a top-level folder is a category; files at the root go to "Unsorted";
- `Name.ext` with a video extension is a progressive video (MP4 / MOV / ...) or, for
  formats browsers cannot play (AVI, MKV, ...), a download-only video;
- a folder `Name.hls/` holding `output.m3u8` is one HLS video with `poster.jpg` inside,
  unless `Name.hls.incomplete` sits beside it: it is still being added (incomplete.py);
- `Name.jpg|jpeg|png|webp` beside `Name.mp4` is its poster, `Name.vtt` / `Name.en.vtt` its
  subtitles; deeper folders that are not `.hls` are ignored, never a crash;
- a folder's index (`.homemovies.json`, see index/formats.py) adds when each video was
  recorded, its duration and picture size; an entry for a file that has changed since it
  was indexed is not believed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from . import incomplete
from .index.formats import IndexEntry, VideoFacts
from .media_types import DOWNLOAD_TYPES, media_type
from .media_types import extension as _extension
from .storage.base import Listing, ObjectInfo

UNSORTED = "Unsorted"
HLS_SUFFIX = ".hls"
HLS_PLAYLIST = "output.m3u8"
HLS_POSTER = "poster.jpg"
HLS_THUMBNAILS = "thumbnails.vtt"  # seek previews (previews.py): a WebVTT index of sprite tiles
HLS_ORIGINAL = "original"  # the uploaded file, kept as original.<ext> (jobs/process.py)

# Extensions browsers play in a <video> element, with the badge shown on cards.
PLAYABLE = {".mp4": "MP4", ".m4v": "M4V", ".mov": "MOV", ".webm": "WEBM", ".ogv": "OGV"}
# Video files we list but cannot play in a browser: offered as a download. The same list
# /video serves as attachments (media_types), each badged with its extension.
DOWNLOAD_ONLY = {ext: ext[1:].upper() for ext in DOWNLOAD_TYPES}
POSTER_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
SUBTITLE_EXTENSION = ".vtt"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


class Kind(Enum):
    HLS = "hls"
    PROGRESSIVE = "progressive"
    DOWNLOAD = "download"  # a video file browsers cannot play


@dataclass(frozen=True)
class Subtitle:
    name: str  # object name
    language: str  # "en", or "" when the file name does not say
    label: str


@dataclass(frozen=True)
class Video:
    key: str  # object name of the file, or the HLS prefix ending in ".hls/"
    folder: str  # folder key: "Holidays/" or "" for Unsorted
    title: str
    kind: Kind
    badge: str
    size: int | None = None
    modified: datetime | None = None
    poster: str | None = None  # object name of the poster, when one is known or conventional
    subtitles: tuple[Subtitle, ...] = ()
    # From the folder's index, when it has this video (None otherwise: show `modified`).
    recorded: datetime | None = None  # aware, in the camera's offset when the video said it
    recorded_source: str | None = None  # "quicktime" | "container" | "file time"
    duration: float | None = None  # seconds
    width: int | None = None  # the picture as shown (portrait: taller than wide)
    height: int | None = None

    @property
    def playlist(self) -> str:
        return self.key + HLS_PLAYLIST if self.kind is Kind.HLS else self.key

    @property
    def extension(self) -> str:
        return _extension(self.key.rstrip("/"))


@dataclass(frozen=True)
class Folder:
    key: str  # "Holidays/" or "" for the root's loose files
    title: str
    video_count: int | None  # None while not yet counted


def folder_title(key: str) -> str:
    return UNSORTED if key == "" else key.rstrip("/").rsplit("/", 1)[-1]


def folder_of(video_key: str) -> str:
    """The folder key a video belongs to ("" for root-level videos)."""
    parts = video_key.rstrip("/").split("/")
    return "" if len(parts) == 1 else parts[0] + "/"


def _stem(name: str) -> str:
    base = name.rstrip("/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


def is_hls_prefix(prefix: str) -> bool:
    return prefix.rstrip("/").lower().endswith(HLS_SUFFIX)


def unfinished_movies(listing: Listing) -> dict[str, ObjectInfo]:
    """The movies of one listing that are still being added, each with its marker."""
    return {k: v for k, v in incomplete.marked(listing).items() if is_hls_prefix(k)}


def classify_file(name: str) -> tuple[Kind, str] | None:
    ext = _extension(name)
    if ext in PLAYABLE:
        return Kind.PROGRESSIVE, PLAYABLE[ext]
    if ext in DOWNLOAD_ONLY:
        return Kind.DOWNLOAD, DOWNLOAD_ONLY[ext]
    return None


def display_name(name: str) -> str:
    """File name without its extension; an `.hls` folder's name without `.hls`."""
    return _stem(name)


def subtitle_for(name: str, stem: str) -> Subtitle | None:
    """`Movie.vtt` → no language; `Movie.en.vtt` → "en"; other names are not this movie's.

    The one sidecar rule: the catalog attaches these to a file, and ingest copies the same
    files into the movie it makes (encode.subtitle_files)."""
    base = name.rsplit("/", 1)[-1]
    if not base.lower().endswith(SUBTITLE_EXTENSION):
        return None
    middle = base[: -len(SUBTITLE_EXTENSION)]
    if middle == stem:
        return Subtitle(name=name, language="", label="Subtitles")
    if middle.startswith(stem + ".") and _LANGUAGE.match(middle[len(stem) + 1 :]):
        lang = middle[len(stem) + 1 :].replace("_", "-")
        return Subtitle(name=name, language=lang, label=language_label(lang))
    return None


def hls_subtitles(listing: Listing) -> tuple[Subtitle, ...]:
    """Any `*.vtt` directly inside an `.hls/` folder but the seek previews' index; the
    language from its name."""
    found = []
    for obj in listing.objects:
        base = obj.name.rsplit("/", 1)[-1]
        if not base.lower().endswith(SUBTITLE_EXTENSION) or base == HLS_THUMBNAILS:
            continue
        stem = base[: -len(SUBTITLE_EXTENSION)]
        lang = stem.rsplit(".", 1)[-1] if "." in stem else stem
        lang = lang if _LANGUAGE.match(lang) else ""
        found.append(
            Subtitle(obj.name, lang.replace("_", "-"), language_label(lang) if lang else stem)
        )
    return tuple(sorted(found, key=lambda s: s.name))


def hls_thumbnails(listing: Listing) -> str | None:
    """The object name of an `.hls/` folder's seek-preview index, if it has one."""
    return next(
        (o.name for o in listing.objects if o.name.rsplit("/", 1)[-1] == HLS_THUMBNAILS), None
    )


def hls_original(listing: Listing) -> str | None:
    """The object name of the original an `.hls/` folder keeps (`original.<ext>`, made when a
    video is added from a browser), if it has one the app may serve (a media type)."""
    return next(
        (
            o.name
            for o in listing.objects
            if o.name.rsplit("/", 1)[-1].startswith(HLS_ORIGINAL + ".") and media_type(o.name)
        ),
        None,
    )


_LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
    "sv": "Svenska",
    "da": "Dansk",
    "no": "Norsk",
    "fi": "Suomi",
    "pl": "Polski",
    "ja": "日本語",
    "zh": "中文",
    "ko": "한국어",
    "ru": "Русский",
    "ar": "العربية",
    "hi": "हिन्दी",
}


def language_label(lang: str) -> str:
    return _LANGUAGE_NAMES.get(lang.split("-")[0].lower(), lang)


def videos_in(
    folder_key: str, listing: Listing, index: Mapping[str, IndexEntry] | None = None
) -> list[Video]:
    """Classify one folder's listing into videos, with posters and subtitles attached, and
    what the folder's index knows of each (`index` is keyed by names within the folder)."""
    index = index or {}
    by_stem, subtitles = _sidecars(listing)
    videos = [
        _file_video(folder_key, obj, by_stem, subtitles, index)
        for obj in listing.objects
        if classify_file(obj.name) is not None
    ]
    unfinished = unfinished_movies(listing)
    for prefix in listing.prefixes:
        if is_hls_prefix(prefix.name) and prefix.name not in unfinished:
            # A movie's facts come from its own info.json, made with it: nothing to compare.
            entry = index.get(prefix.name[len(folder_key) :])
            videos.append(Video(
                key=prefix.name, folder=folder_key, title=display_name(prefix.name),
                kind=Kind.HLS, badge="HLS", size=prefix.size, modified=prefix.modified,
                poster=prefix.name + HLS_POSTER, **_fields(entry.facts if entry else None),
            ))  # fmt: skip
    videos.sort(key=lambda v: natural_key(v.title))
    return videos


def _sidecars(listing: Listing) -> tuple[dict[str, list[str]], dict[str, list[Subtitle]]]:
    """Names by stem (posters are found among them) and subtitles by the stem they serve."""
    by_stem: dict[str, list[str]] = {}
    subtitles: dict[str, list[Subtitle]] = {}
    for obj in listing.objects:
        by_stem.setdefault(_stem(obj.name), []).append(obj.name)
        if obj.name.lower().endswith(SUBTITLE_EXTENSION):
            # `Movie.vtt` belongs to "Movie"; `Movie.en.vtt` to "Movie" too (or to "Movie.en").
            middle = obj.name.rsplit("/", 1)[-1][: -len(SUBTITLE_EXTENSION)]
            for owner in {middle, middle.rsplit(".", 1)[0]}:
                if (sub := subtitle_for(obj.name, owner)) is not None:
                    subtitles.setdefault(owner, []).append(sub)
    return by_stem, subtitles


def _file_video(
    folder_key: str,
    obj: ObjectInfo,
    by_stem: dict[str, list[str]],
    subtitles: dict[str, list[Subtitle]],
    index: Mapping[str, IndexEntry],
) -> Video:
    kind, badge = classify_file(obj.name)
    stem = _stem(obj.name)
    poster = next(
        (n for n in sorted(by_stem.get(stem, [])) if _extension(n) in POSTER_EXTENSIONS), None
    )
    entry = index.get(obj.name[len(folder_key) :])
    # A file replaced since it was indexed keeps no facts of the old one.
    facts = entry.facts if entry and entry.matches(obj.size, obj.modified) else None
    return Video(
        key=obj.name, folder=folder_key, title=display_name(obj.name), kind=kind, badge=badge,
        size=obj.size, modified=obj.modified, poster=poster,
        subtitles=tuple(sorted(subtitles.get(stem, ()), key=lambda s: s.name)),
        **_fields(facts),
    )  # fmt: skip


def _fields(facts: VideoFacts | None) -> dict:
    if facts is None:
        return {}
    return {
        "recorded": facts.recorded,
        "recorded_source": facts.recorded_source,
        "duration": facts.duration,
        "width": facts.width,
        "height": facts.height,
    }


def folders_in(root: Listing) -> list[str]:
    """Folder keys from the root listing: real folders, then "" when loose videos exist."""
    keys = [p.name for p in root.prefixes if not is_hls_prefix(p.name)]
    keys.sort(key=lambda k: natural_key(folder_title(k)))
    unfinished = unfinished_movies(root)
    loose = any(classify_file(o.name) for o in root.objects) or any(
        is_hls_prefix(p.name) and p.name not in unfinished for p in root.prefixes
    )
    return keys + ([""] if loose else [])


# Pure on its string, and asked for every title of a page on every rerun (each sort of a
# folder, the timeline, search): remembered for a library's worth of titles.
@functools.lru_cache(maxsize=16384)
def natural_key(text: str) -> tuple:
    """Sort "Clip 2" before "Clip 10", ignoring case and accents."""
    folded = fold(text)
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", folded))


def fold(text: str) -> str:
    """Case- and accent-insensitive form, for sorting and search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def listing_to_json(listing: Listing) -> dict:
    def row(o: ObjectInfo) -> list:
        return [o.name, o.size, o.modified.isoformat() if o.modified else None]

    return {"o": [row(o) for o in listing.objects], "p": [row(p) for p in listing.prefixes]}


def listing_from_json(data: dict) -> Listing:
    def obj(r: list) -> ObjectInfo:
        return ObjectInfo(r[0], r[1], datetime.fromisoformat(r[2]) if r[2] else None)

    return Listing(tuple(obj(r) for r in data["o"]), tuple(obj(r) for r in data["p"]))
