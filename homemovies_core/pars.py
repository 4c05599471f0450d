"""Issue playback URLs (PARs for OCI, sealed paths for a folder) through the Cache.

- A grant is issued for `ttl` and reused by every viewer while at least `min_remaining`
  is left, so a movie never dies mid-play and a popular movie costs one PAR.
- Concurrent misses for one key issue ONE grant: a lock in the Cache (`add`, i.e. SET NX
  with a timeout in Redis) elects the issuer; the others wait for its result.
- A grant that stops working before it expires is forgotten (`forget`), with every cached
  grant of the replica that issued it: an OCI PAR dies with its creator, and the creators are
  the container instances every redeploy replaces (web/regrant_routes.py finds such grants).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from .cache import Cache, get_json, set_json
from .library import Kind, Video
from .observability.metrics import PLAYBACK_GRANTS
from .storage.base import Grant, Storage

log = logging.getLogger(__name__)

LOCK_SECONDS = 30.0  # an issuer that died frees the key after this
WAIT_SECONDS = 10.0  # how long a waiter waits for the issuer before issuing itself


class PlaybackUrls:
    def __init__(
        self,
        storage: Storage,
        cache: Cache,
        *,
        ttl_seconds: float,
        min_remaining_seconds: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage = storage
        self.cache = cache
        self.ttl = ttl_seconds
        self.min_remaining = min_remaining_seconds
        self._clock = clock
        self._sleep = sleep
        # This replica, in the entries it writes: the creator of its grants (see `forget`).
        self.issuer = secrets.token_hex(8)

    def cache_key(self, target: str) -> str:
        return f"par:{self.storage.kind}:{self.storage.scope}:{target}"

    def grant(self, target: str, *, prefix: bool) -> Grant:
        key = self.cache_key(target)
        found = self._cached(key)
        if found is not None:
            return found
        lock_key = key + ":lock"
        deadline = self._clock() + WAIT_SECONDS
        owner = secrets.token_hex(8)
        while not self.cache.add(lock_key, owner, LOCK_SECONDS):
            self._sleep(0.05)
            found = self._cached(key)
            if found is not None:
                return found
            if self._clock() > deadline:  # the issuer is stuck: availability over frugality
                log.warning("Waited %.0fs for a playback URL lock; issuing anyway.", WAIT_SECONDS)
                return self._issue(key, target, prefix)
        try:
            found = self._cached(key)  # someone finished between our miss and our lock
            return found if found is not None else self._issue(key, target, prefix)
        finally:
            if self.cache.get(lock_key) == owner:
                self.cache.delete(lock_key)

    def _cached(self, key: str) -> Grant | None:
        data = get_json(self.cache, key)
        if not isinstance(data, dict):
            return None
        try:
            # Entries without "rel" come from before relative local URLs: a miss, issue anew.
            grant = Grant(
                url=data["url"],
                expires_at=float(data["exp"]),
                id=data["id"],
                relative_to=data["rel"],
            )
        except (KeyError, TypeError, ValueError):
            return None
        if grant.expires_at - self._clock() < self.min_remaining:
            return None
        PLAYBACK_GRANTS.labels(result="reused").inc()  # each grant() returns at most one
        return grant

    def _issue(self, key: str, target: str, prefix: bool) -> Grant:
        try:
            grant = self.storage.grant(target, prefix=prefix, expires_at=self._clock() + self.ttl)
        except Exception:
            PLAYBACK_GRANTS.labels(result="failed").inc()
            raise
        PLAYBACK_GRANTS.labels(result="issued").inc()
        # Not the grant's id: an OCI PAR id ends with the object's name, a title.
        log.info("Issued a playback grant for %s.", "a folder" if prefix else "one file")
        # The entry lives exactly as long as the grant may be handed out.
        keep = grant.expires_at - self._clock() - self.min_remaining
        if keep > 0:
            set_json(
                self.cache,
                key,
                {
                    "url": grant.url,
                    "exp": grant.expires_at,
                    "id": grant.id,
                    "rel": grant.relative_to,
                    "by": self.issuer,
                },
                keep,
            )
        return grant

    def forget(self, dead: Grant) -> int:
        """Drop `dead` and every cached grant the same replica issued; returns how many.

        A PAR stops working when its creator is deleted or loses the permission. The creator
        is the replica's principal (a container instance's resource principal), and a
        redeploy deletes it: every grant it made dies at once, sidecars (subtitles, seek
        previews) included, so one proven dead condemns the rest of its issuer's. Grants of
        live replicas stay. (One another replica writes between our read and our delete is
        dropped too: one PAR more.)"""
        prefix = f"par:{self.storage.kind}:{self.storage.scope}:"
        entries = [(key, get_json(self.cache, key)) for key in list(self.cache.scan(prefix))]
        entries = [(key, data) for key, data in entries if isinstance(data, dict)]  # no locks
        issuer = next((d.get("by") for _, d in entries if d.get("id") == dead.id), None)
        gone = [
            key
            for key, data in entries
            if data.get("id") == dead.id or (issuer is not None and data.get("by") == issuer)
        ]
        for key in gone:
            self.cache.delete(key)
        log.warning(
            "A playback grant stopped working before it expired (its creator is gone?); "
            "forgot it and %d more cached grant(s) of the same replica.",
            max(len(gone) - 1, 0),
        )
        return len(gone)

    # -- per video -------------------------------------------------------------------------
    def video_grant(self, video: Video) -> tuple[Grant, str]:
        """The grant behind a video's playback URL, and the URL (an HLS folder's playlist)."""
        if video.kind is Kind.HLS:
            grant = self.grant(video.key, prefix=True)
            return grant, grant.url_for(video.playlist)
        grant = self.grant(video.key, prefix=False)
        return grant, grant.url

    def video_url(self, video: Video) -> str:
        return self.video_grant(video)[1]

    def object_url(self, name: str, *, within: Video | None = None) -> str:
        """URL of a sidecar: inside an HLS folder it rides on the folder's grant."""
        if within is not None and within.kind is Kind.HLS and name.startswith(within.key):
            return self.grant(within.key, prefix=True).url_for(name)
        return self.grant(name, prefix=False).url
