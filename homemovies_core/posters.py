"""Card posters: read by the app (small reads), kept only as a small thumbnail.

Posters are never fetched through a playback grant, so a folder page costs no PAR. Bytes say
little about pixels (a flat 8000×8000 JPEG is ~300 KB and ~200 MB decoded), so each poster is
decoded once, when it is cached, after its pixel count was read from the header: JPEGs decode
straight to a reduced size (up to 1/8 a side), and anything that would still decode to more
than POSTER_MAX_DECODED_PIXELS is not drawn. Absent or broken posters are remembered in the
Cache for a while, so a folder of movies without posters stays cheap.
"""

from __future__ import annotations

import io
import threading

import cachetools
from PIL import Image, ImageOps

from .cache import Cache
from .library import Video
from .storage.base import Storage, StorageError

POSTER_LIMIT = 512 * 1024  # posters are thumbnails; anything bigger is not drawn on a card
POSTER_CACHE_BYTES = 64 * 1024 * 1024
POSTER_MISS_SECONDS = 300
POSTER_MAX_DECODED_PIXELS = 4096 * 4096
POSTER_SIZE = (640, 640)  # the thumbnail's bounding box: sharp on a 2x screen's card


class Posters:
    def __init__(self, storage: Storage, cache: Cache) -> None:
        self.storage = storage
        self.cache = cache
        self._thumbnails: cachetools.LRUCache = cachetools.LRUCache(
            maxsize=POSTER_CACHE_BYTES, getsizeof=lambda b: max(1, len(b or b""))
        )
        self._lock = threading.Lock()

    def _miss_key(self, name: str) -> str:
        return f"nopost:{self.storage.kind}:{self.storage.scope}:{name}"

    def for_videos(self, videos: list[Video]) -> dict[str, bytes | None]:
        """Each video's poster thumbnail (by video key; None: none to draw). Pages fetch
        posters one by one through `get` (/poster); this is the same, for a list."""
        return {v.key: self.get(v.poster) for v in videos if v.poster}

    def get(self, name: str) -> bytes | None:
        """One poster's thumbnail, for the /poster route."""
        hit = self.remembered(name)
        if hit is not None:
            return hit
        if self.cache.get(self._miss_key(name)) is not None:
            return None
        return self._read(name)

    def remembered(self, name: str) -> bytes | None:
        """The thumbnail if this process made it already, else None: no I/O, no waiting."""
        with self._lock:
            return self._thumbnails.get(name)

    def _read(self, name: str) -> bytes | None:
        try:
            data = self.storage.read_small(name, POSTER_LIMIT)
        except StorageError:
            return None
        thumb = None if data is None else thumbnail(data)
        if thumb is None:
            self.cache.set(self._miss_key(name), "1", POSTER_MISS_SECONDS)
            return None
        with self._lock:
            self._thumbnails[name] = thumb
        return thumb


def thumbnail(data: bytes) -> bytes | None:
    """A small JPEG of the image, or None when it is broken or has too many pixels.

    Re-encoding also drops what a camera wrote into the file (EXIF: place, device).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            image.draft("RGB", POSTER_SIZE)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            width, height = image.size
            if width * height > POSTER_MAX_DECODED_PIXELS:
                return None
            image = ImageOps.exif_transpose(image)  # decodes, now that the size is known
            image.thumbnail(POSTER_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    except Exception:  # Pillow raises many types for bad data; a bomb is one of them
        return None
    return out.getvalue()


class _Missing:
    pass


_MISSING = _Missing()
