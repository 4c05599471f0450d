"""The library as pages see it: cached one-level listings turned into folders and videos.

Each folder costs one listing per `listing_ttl`, shared by every session and replica
through the Cache. A second, long-lived copy of each listing lets the app keep showing
a folder while the backend is slow or down: when a refresh is not back within `patience`
seconds, the older copy is shown at once, marked as possibly out of date, and the refresh
finishes in the background (one per folder, however many pages ask).

With each folder's listing comes its index (`.homemovies.json`: when each video was
recorded, its duration and size): one small read, cached in the same entry as the listing,
so it costs nothing more per page view and goes stale together with it. A folder without
an index, or with one that cannot be read, shows its videos as the listing has them.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import cachetools

from . import library
from .cache import Cache, get_json_text, set_json
from .index.formats import IndexEntry, entries_from, entry_json, read_index
from .library import Folder, Kind, Subtitle, Video
from .observability.logs import name_ref
from .posters import Posters
from .storage.base import Listing, Storage, StorageError

log = logging.getLogger(__name__)

STALE_SECONDS = 7 * 24 * 3600
PATIENCE_SECONDS = 1.5  # how long a page waits for a refresh before showing the older copy
REFRESHING = "The storage is slow to answer; showing this folder as it was listed earlier."


@dataclass(frozen=True)
class Level:
    """One folder's listing and the index entries (by name within the folder) that belong
    to what it lists."""

    listing: Listing
    index: tuple[tuple[str, IndexEntry], ...] = ()


@dataclass(frozen=True)
class FolderView:
    folder: Folder
    videos: tuple[Video, ...]
    stale: bool = False  # shown from an older copy because the backend failed
    error: str | None = None  # why it is stale (one sentence)


def listing_key(storage: Storage, prefix: str) -> str:
    """The Cache key of a folder's listing (a worker forgets it when it adds a movie there,
    so every replica lists the folder again at once)."""
    return f"ls:{storage.kind}:{storage.scope}:{prefix}"


class Catalog:
    def __init__(
        self,
        storage: Storage,
        cache: Cache,
        *,
        listing_ttl: float,
        count_eagerly: bool,
        patience: float = PATIENCE_SECONDS,
    ) -> None:
        self.storage = storage
        self.cache = cache
        self.listing_ttl = listing_ttl
        self.patience = patience
        self._refreshing: dict[str, Future] = {}
        self._refresh_lock = threading.Lock()
        # Counting every folder costs one listing each: fine on disk, a background job on OCI.
        self.count_eagerly = count_eagerly
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="catalog")
        self.poster_store = Posters(storage, cache)
        # Every rerun of a page reads the same cached listings again: keep the decoded and
        # classified forms of the last few, so a warm page does neither JSON nor rules work.
        self._decoded: cachetools.LRUCache = cachetools.LRUCache(maxsize=256)
        self._classified: cachetools.LRUCache = cachetools.LRUCache(maxsize=256)
        self._by_level: cachetools.LRUCache = cachetools.LRUCache(maxsize=256)
        self._memo_lock = threading.Lock()
        self._warned: set[str] = set()  # folders whose broken index was logged once

    # -- listings ---------------------------------------------------------------------------
    def _key(self, prefix: str) -> str:
        return listing_key(self.storage, prefix)

    def _cached(self, key: str) -> Level | None:
        raw = self.cache.get(key)
        if raw is None:
            return None
        with self._memo_lock:
            hit = self._decoded.get(raw)
        if hit is not None:
            return hit
        data = get_json_text(raw)
        if not isinstance(data, dict):
            return None
        index = data.get("i")
        level = Level(
            library.listing_from_json(data),
            tuple(sorted(entries_from(index).items())) if isinstance(index, dict) else (),
        )
        with self._memo_lock:
            self._decoded[raw] = level
        return level

    def videos_of(
        self, prefix: str, listing: Listing, index: tuple[tuple[str, IndexEntry], ...] = ()
    ) -> tuple[Video, ...]:
        """`library.videos_in`, remembered for the listings read most recently."""
        with self._memo_lock:
            hit = self._classified.get((prefix, listing, index))
        if hit is None:
            hit = tuple(library.videos_in(prefix, listing, dict(index)))
            with self._memo_lock:
                self._classified[(prefix, listing, index)] = hit
        return hit

    def _videos(self, prefix: str, level: Level) -> tuple[Video, ...]:
        # By identity (`_cached` hands out one Level per listing text; the entry keeps it alive):
        # by value, every folder of every draw hashed and compared its whole listing.
        with self._memo_lock:
            hit = self._by_level.get((prefix, id(level)))
        if hit is not None and hit[0] is level:
            return hit[1]
        videos = self.videos_of(prefix, level.listing, level.index)
        with self._memo_lock:
            self._by_level[(prefix, id(level))] = (level, videos)
        return videos

    def forget(self, prefix: str) -> None:
        """Drop the cached listing of `prefix` (a movie was just added to it): the next page
        lists it afresh, on every replica. The older copy stays, for an outage."""
        self.cache.delete(self._key(prefix))

    def listing(self, prefix: str) -> tuple[Listing, bool, str | None]:
        """(listing, stale, why). Raises StorageError only when nothing was ever cached."""
        level, stale, why = self.level(prefix)
        return level.listing, stale, why

    def level(self, prefix: str) -> tuple[Level, bool, str | None]:
        """(listing and index, stale, why). Raises StorageError only when nothing was ever
        cached."""
        key = self._key(prefix)
        fresh = self._cached(key)
        if fresh is not None:
            return fresh, False, None
        old = self._cached("stale:" + key)
        if old is None:  # nothing to show meanwhile: wait for the backend
            return self._list_now(prefix), False, None
        try:
            return self._refresh(prefix).result(timeout=self.patience), False, None
        except (FutureTimeout, CancelledError):
            # Cancelled: a page without this older copy took the queued refresh over
            # (`_list_now`); its listing is on the way all the same.
            return old, True, REFRESHING
        except StorageError as exc:
            log.warning(
                "Listing folder %s failed (%s); showing the cached copy.",
                name_ref(prefix),
                type(exc).__name__,
            )
            return old, True, str(exc)

    def _refresh(self, prefix: str) -> Future:
        """The one listing of `prefix` in flight, started now if none is."""
        with self._refresh_lock:
            running = self._refreshing.get(prefix)
            if running is not None and not running.cancelled():
                return running
            running = self._refreshing[prefix] = self._pool.submit(self._list, prefix)
        # Outside the lock: a listing that is already done runs this callback right here.
        running.add_done_callback(lambda done: self._forget_refresh(prefix, done))
        return running

    def _list_now(self, prefix: str) -> Level:
        """List `prefix` for a page that has nothing older to show. A listing of it already
        under way (background warming, another session) is waited for, not repeated; one only
        queued behind other background listings is taken over and run on this thread, so the
        page does not wait for the whole queue. Raises the listing's StorageError."""
        while True:
            with self._refresh_lock:
                running = self._refreshing.get(prefix)
                # (A cancelled one is only waiting for its callback to forget it.)
                if running is None or running.cancelled():
                    mine = self._refreshing[prefix] = Future()
                    mine.set_running_or_notify_cancel()  # so no other page cancels it
                    break
            if not running.cancel():  # started (or done): its result is this page's too
                return running.result()
            # It was only queued, and is cancelled now: register our own and list here.
        try:
            level = self._list(prefix)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        else:
            mine.set_result(level)
            return level
        finally:
            self._forget_refresh(prefix, mine)

    def refreshing(self, prefix: str) -> Future | None:
        """The listing of `prefix` still in flight, if any (a page did not wait for it)."""
        with self._refresh_lock:
            return self._refreshing.get(prefix)

    def _forget_refresh(self, prefix: str, done: Future) -> None:
        with self._refresh_lock:
            if self._refreshing.get(prefix) is done:
                del self._refreshing[prefix]

    def _list(self, prefix: str) -> Level:
        listing = self.storage.list_level(prefix)
        index = self._read_index(prefix, listing)
        data = library.listing_to_json(listing)
        if index:
            data["i"] = {name: entry_json(entry) for name, entry in index}
        key = self._key(prefix)
        if self.listing_ttl > 0:
            set_json(self.cache, key, data, self.listing_ttl)
        set_json(self.cache, "stale:" + key, data, STALE_SECONDS)
        return Level(listing, index)

    def _read_index(self, prefix: str, listing: Listing) -> tuple[tuple[str, IndexEntry], ...]:
        """The folder's index entries with facts, for the names this listing has. A missing
        index is none; a broken one is none too, with one warning per folder and process.
        A failed read raises StorageError like the listing would (the older copy shows)."""
        if library.is_hls_prefix(prefix):
            return ()  # a movie's own folder has no index
        stored = read_index(self.storage, prefix)
        if stored.problem is not None:
            if prefix not in self._warned:
                self._warned.add(prefix)
                log.warning(
                    "The index of folder %s cannot be read; its videos show without "
                    "recorded dates until `index` writes it again.",
                    name_ref(prefix or "/"),
                )
            return ()
        listed = {o.name[len(prefix) :] for o in (*listing.objects, *listing.prefixes)}
        return tuple(
            sorted(
                (name, entry)
                for name, entry in stored.entries.items()
                if name in listed and entry.facts is not None
            )
        )

    def cached_level(self, prefix: str) -> Level | None:
        """A listing and its index only if already cached (fresh or stale): costs the backend
        nothing."""
        for key in (self._key(prefix), "stale:" + self._key(prefix)):
            level = self._cached(key)
            if level is not None:
                return level
        return None

    # -- folders and videos -----------------------------------------------------------------
    def folders(self) -> list[Folder]:
        pairs = self._folder_levels()
        if not self.count_eagerly:
            self.warm([folder.key for folder, level in pairs if level is None])
        return [folder for folder, _level in pairs]

    def _folder_levels(self) -> list[tuple[Folder, Level | None]]:
        """Each folder with its listing (None: not listed yet, or its listing failed), so
        `folders` and `cached_videos` read each folder's cached listing once per call."""
        root, _stale, _err = self.level("")
        result: list[tuple[Folder, Level | None]] = []
        for key in library.folders_in(root.listing):
            level: Level | None
            if key == "":
                level = root
            elif self.count_eagerly:
                try:
                    level, _stale, _err = self.level(key)
                except StorageError:
                    level = None
            else:
                level = self.cached_level(key)
            if level is not None:
                count: int | None = len(self._videos(key, level))
            else:
                # Counted eagerly, a folder that cannot be listed shows as empty (its page
                # says why); otherwise it is counted once the background listing is back.
                count = 0 if self.count_eagerly else None
            folder = Folder(key=key, title=library.folder_title(key), video_count=count)
            result.append((folder, level))
        return result

    def warm(self, prefixes: list[str]) -> None:
        """List folders in the background so counts and search fill in without slowing a page.
        Each is one `_refresh`: a page opening the folder meanwhile shares that listing
        (`_list_now`) instead of listing it again."""
        for prefix in prefixes:
            if self.refreshing(prefix) is not None:
                continue  # already on its way; one failure log is enough
            self._refresh(prefix).add_done_callback(_log_background_failure)

    def folder_view(self, folder_key: str) -> FolderView:
        folder = Folder(key=folder_key, title=library.folder_title(folder_key), video_count=None)
        try:
            level, stale, error = self.level(folder_key)
        except StorageError as exc:
            return FolderView(folder, (), stale=True, error=str(exc))
        videos = self._videos(folder_key, level)
        folder = Folder(key=folder_key, title=folder.title, video_count=len(videos))
        return FolderView(folder, videos, stale, error)

    def video(self, key: str) -> Video | None:
        """Find one video by key (from the URL): only ever within its own folder's listing."""
        view = self.folder_view(library.folder_of(key))
        return next((v for v in view.videos if v.key == key), None)

    def cached_videos(self) -> tuple[list[Video], int]:
        """Every video in every folder whose listing is cached, and how many folders are not
        (those are listed in the background now). For search: costs the backend nothing
        beyond the root listing, so a query stays fast on a huge bucket."""
        videos: list[Video] = []
        pending = []
        for folder, level in self._folder_levels():
            if level is None:
                pending.append(folder.key)
                continue
            videos.extend(self._videos(folder.key, level))
        self.warm(pending)
        return videos, len(pending)

    def hls_subtitles(self, video: Video) -> tuple[Subtitle, ...]:
        if video.kind is not Kind.HLS:
            return video.subtitles
        try:
            listing, _s, _e = self.listing(video.key)
        except StorageError:
            return ()
        return library.hls_subtitles(listing)

    def hls_thumbnails(self, video: Video) -> str | None:
        """The object name of an HLS movie's seek-preview index (`thumbnails.vtt`), or None;
        from the folder listing `hls_subtitles` reads too, so it costs no extra call."""
        if video.kind is not Kind.HLS:
            return None
        try:
            listing, _s, _e = self.listing(video.key)
        except StorageError:
            return None
        return library.hls_thumbnails(listing)

    def hls_original(self, video: Video) -> str | None:
        """The object name of the original an HLS movie keeps (`original.<ext>`), or None;
        from the same folder listing as its subtitles and seek previews."""
        if video.kind is not Kind.HLS:
            return None
        try:
            listing, _s, _e = self.listing(video.key)
        except StorageError:
            return None
        return library.hls_original(listing)

    # -- posters (posters.py) ---------------------------------------------------------------
    def posters(self, videos: list[Video]) -> dict[str, bytes | None]:
        return self.poster_store.for_videos(videos)

    def poster_bytes(self, name: str) -> bytes | None:
        return self.poster_store.get(name)

    def poster_remembered(self, name: str) -> bytes | None:
        return self.poster_store.remembered(name)


def _log_background_failure(done: Future) -> None:
    """A background listing that failed: logged, and a later page asks again."""
    if done.cancelled():
        return  # a page took it over and lists it itself (`_list_now`)
    exc = done.exception()
    if exc is not None:
        log.warning("Background listing of a folder failed: %s", type(exc).__name__)
