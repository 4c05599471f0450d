"""State a family has made (a share link, a resume point, a TV waiting for its code, a login
session), and a way to tell whether all of it is still there: what a cache attack must not evict."""

from __future__ import annotations

from homemovies_core.cache import Cache
from homemovies_core.library import Kind, Video
from homemovies_core.pairing import Pairing
from homemovies_core.progress import ProgressStore
from homemovies_core.shares import ShareStore

VIDEO = Video(
    key="Summer/Beach day.mp4",
    folder="Summer/",
    title="Beach day",
    kind=Kind.PROGRESSIVE,
    badge="MP4",
)
TOKEN_KEY = b"k" * 32


class Family:
    """State the family made (a share link, a resume point, a TV waiting for its code,
    a login session) and a way to tell whether all of it is still there."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.shares = ShareStore(cache)
        self.share_token, _ = self.shares.create(VIDEO, owner="mum", lifetime=7 * 86400)
        self.progress = ProgressStore(cache, TOKEN_KEY)
        self.progress.record("mum", VIDEO.key, 61.0, 600.0)
        self.pairing = Pairing(cache)
        self.ticket = self.pairing.start("Living-room TV", "192.0.2.10")
        # The session keys the login rework adds: one per login, one index per person.
        cache.set("session:3f9a", '{"u":"mum"}', 30 * 86400)
        cache.set("sessions:mum", '["3f9a"]', 30 * 86400)

    def intact(self) -> dict[str, bool]:
        return {
            "share link": self.shares.lookup(self.share_token) is not None,
            "resume point": (p := self.progress.get("mum", VIDEO.key)) is not None
            and p.position == 61.0,
            "continue watching": [p.video_key for p in self.progress.continue_watching("mum")]
            == [VIDEO.key],
            "device code": self.pairing.lookup(self.ticket.code) is not None,
            "session": self.cache.get("session:3f9a") == '{"u":"mum"}',
            "session index": self.cache.get("sessions:mum") == '["3f9a"]',
        }
