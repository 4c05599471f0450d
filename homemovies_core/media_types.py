"""What each file of a library is, as HTTP and object storage see it: the content type it is
uploaded with, and whether the app may serve it at all (media only, never a page).
"""

from __future__ import annotations

import mimetypes


def extension(name: str) -> str:
    """The name's extension, lower-cased: ".mp4" for "Folder/Clip.MP4". None is "": a name
    that starts with its only dot is a hidden file, not an extension."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


# What each file of a library is served or uploaded as (browsers and hls.js go by these).
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/mp4",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
# Everything the app itself serves from a library folder (/video): media and nothing else.
# Not SVG (an image that runs script), not HTML, not anything guessed from the name: a file
# planted in a movie folder must never become a page on the app's origin.
MEDIA_TYPES = {
    **CONTENT_TYPES,
    ".ogv": "video/ogg",
    ".aac": "audio/aac",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
}
# Videos browsers cannot play are offered as downloads (served as attachments).
DOWNLOAD_TYPES = {
    ".avi": "video/x-msvideo",
    ".mkv": "video/x-matroska",
    ".wmv": "video/x-ms-wmv",
    ".flv": "video/x-flv",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".3gp": "video/3gpp",
    ".mts": "video/mp2t",
    ".m2ts": "video/mp2t",
    ".vob": "video/mpeg",
    ".dv": "video/dv",
}


def content_type(name: str) -> str:
    """The type to store an object with (ingest); unknown files become octet-stream."""
    return (
        CONTENT_TYPES.get(extension(name))
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )


def media_type(name: str) -> str | None:
    """The type to serve a library file as, or None: not media, never served."""
    ext = extension(name)
    return MEDIA_TYPES.get(ext) or DOWNLOAD_TYPES.get(ext)


def is_download(name: str) -> bool:
    return extension(name) in DOWNLOAD_TYPES
