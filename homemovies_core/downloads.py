"""A link that saves a library file (the original a movie keeps) instead of playing it.

A playback URL of an `.mp4` plays in the browser's tab; a download link asks for an
attachment under the movie's own title. OCI honours `httpResponseContentDisposition` on a
PAR URL (Oracle's "Getting an Object with Custom Response Headers"); our `/video` route
honours `download=<file name>` (storage/local_routes.py).
"""

from __future__ import annotations

from urllib.parse import quote

from .library import Video
from .media_types import extension


def download_name(video: Video, name: str) -> str:
    """The movie's title with the file's own extension: "Birthday.mov" for its original."""
    return video.title + extension(name)


def attachment_url(url: str, storage_kind: str, filename: str) -> str:
    """`url` (a playback grant's URL of one file) asking for an attachment named `filename`."""
    if storage_kind == "oci":
        disposition = "attachment; filename*=UTF-8''" + quote(filename, safe="")
        return f"{url}?httpResponseContentDisposition={quote(disposition, safe='')}"
    return f"{url}?download={quote(filename, safe='')}"
