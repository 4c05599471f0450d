"""Share links: one video for someone without an account, for a chosen time.

- A token is `secrets.token_urlsafe(32)` (256 bits). The Cache holds only its SHA-256, so a
  dump of Redis hands out no working links; the hash is also the share's id on the Shares page.
- The entry's time to live is the link's lifetime: an expired link is simply gone.
- Revoking deletes the entry; the next load of the link shows the "not valid" sentence.
  A playback URL already handed to a viewer keeps working until it expires on its own
  (up to the PAR lifetime), because object storage cannot take a URL back.
- Lookups of unknown tokens and wrong passwords are throttled per client address
  (`Throttle` with its own scopes), so guessing is slowed down, not just improbable.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import bcrypt

from .cache import Cache, get_json, set_json
from .library import Video
from .settings import BCRYPT_MAX_BYTES
from .throttle import Throttle
from .users import hash_password

KEY_PREFIX = "share:"
HOUR = 3600
DAY = 24 * HOUR
# Label → lifetime. Two days is the default, as in the original app.
LIFETIMES: dict[str, int] = {"1 hour": HOUR, "1 day": DAY, "2 days": 2 * DAY, "7 days": 7 * DAY}
DEFAULT_LIFETIME = "2 days"
# Hashed like account passwords (users.hash_password), under the same 72-byte bcrypt limit.
PASSWORD_TOO_LONG = (
    "That password is too long: use at most 72 bytes (72 plain letters or "
    "digits; accented letters and emoji count as 2 to 4)."
)

# Lookups of tokens that do not exist: generous for a person re-trying an old link, far too
# few for a guesser. The subject is a constant: the limit is per client address only.
LOOKUP_FAILURES = 20
LOOKUP_WINDOW = 15 * 60
# Wrong passwords for one link from one address: the login rule.
PASSWORD_FAILURES = 5
PASSWORD_WINDOW = 15 * 60


@dataclass(frozen=True)
class Share:
    id: str  # SHA-256 of the token: names the entry, never opens it
    video_key: str
    title: str
    created: float  # epoch seconds
    expires: float
    owner: str
    password_hash: str | None = field(default=None, repr=False)

    @property
    def protected(self) -> bool:
        return self.password_hash is not None


def token_id(token: str) -> str:
    # A plain hash suffices: the token has 256 bits of entropy, so there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def lookup_throttle(cache: Cache) -> Throttle:
    return Throttle(
        cache, max_failures=LOOKUP_FAILURES, window_seconds=LOOKUP_WINDOW, scope="share-lookup"
    )


def password_throttle(cache: Cache) -> Throttle:
    return Throttle(
        cache,
        max_failures=PASSWORD_FAILURES,
        window_seconds=PASSWORD_WINDOW,
        scope="share-password",
    )


class ShareStore:
    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self._clock = clock

    def create(
        self, video: Video, *, owner: str, lifetime: float, password: str | None = None
    ) -> tuple[str, Share]:
        """A new link: (token for the URL, the share). The token is shown once, never stored.

        Raises ValueError with a sentence for the page when the password cannot be used."""
        if lifetime <= 0:
            raise ValueError("a share link must live for some time")
        hashed = _hash_password(password) if password else None
        token = secrets.token_urlsafe(32)
        now = self._clock()
        share = Share(
            id=token_id(token),
            video_key=video.key,
            title=video.title,
            created=now,
            expires=now + lifetime,
            owner=owner,
            password_hash=hashed,
        )
        set_json(
            self.cache,
            KEY_PREFIX + share.id,
            {
                "v": share.video_key,
                "t": share.title,
                "c": share.created,
                "e": share.expires,
                "o": share.owner,
                "p": share.password_hash,
            },
            lifetime,
        )
        return token, share

    def lookup(self, token: str) -> Share | None:
        """The share behind a token, or None for unknown, expired and revoked alike."""
        if not token or len(token) > 128:
            return None
        return self._load(token_id(token))

    def get(self, share_id: str) -> Share | None:
        """The share with this id (the hash of its token), or None as for `lookup`."""
        if not (isinstance(share_id, str) and len(share_id) == 64 and share_id.isalnum()):
            return None
        return self._load(share_id)

    def _load(self, share_id: str) -> Share | None:
        data = get_json(self.cache, KEY_PREFIX + share_id)
        if not isinstance(data, dict):
            return None
        try:
            share = Share(
                id=share_id,
                video_key=str(data["v"]),
                title=str(data["t"]),
                created=float(data["c"]),
                expires=float(data["e"]),
                owner=str(data["o"]),
                password_hash=data.get("p") or None,
            )
        except (KeyError, TypeError, ValueError):
            return None
        # The Cache's TTL already drops it; this covers clock skew between replicas.
        return share if share.expires > self._clock() else None

    def active(self) -> list[Share]:
        """Every unexpired link, newest first (the family shares one list)."""
        found = (self._load(key[len(KEY_PREFIX) :]) for key in self.cache.scan(KEY_PREFIX))
        return sorted((s for s in found if s is not None), key=lambda s: s.created, reverse=True)

    def revoke(self, share_id: str) -> None:
        self.cache.delete(KEY_PREFIX + share_id)


def password_matches(share: Share, password: str) -> bool:
    if share.password_hash is None:
        return True
    typed = _utf8(password)
    if typed is None or len(typed) > BCRYPT_MAX_BYTES:  # no link was made with such a one
        return False
    try:
        return bcrypt.checkpw(typed, share.password_hash.encode())
    except ValueError:  # a corrupt hash opens nothing
        return False


def _hash_password(password: str) -> str:
    encoded = _utf8(password)
    if encoded is None:
        raise ValueError("That password contains characters that cannot be used: type it again.")
    if len(encoded) > BCRYPT_MAX_BYTES:
        raise ValueError(PASSWORD_TOO_LONG)
    return hash_password(password)


def _utf8(text: str) -> bytes | None:
    """None for a lone surrogate: JSON from a hostile client can carry one, and it has no
    UTF-8 form."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def human_lifetime(seconds: float) -> str:
    """Roughly how long is left: "45 minutes", "5 hours", "1 day", "7 days"."""
    seconds = max(0, int(seconds))
    if seconds < 90 * 60:
        minutes = max(1, round(seconds / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < DAY - 30 * 60:  # a link made "for 1 day" a moment ago still says "1 day"
        return f"{round(seconds / HOUR)} hours"
    days = round(seconds / DAY)
    return f"{days} day{'s' if days != 1 else ''}"


def describe_expiry(expires: float, now: float, zone: tzinfo | None = None) -> str:
    """ "in 2 days (Sun 29 Nov, 23:10)", in the viewer's time zone when known, else UTC."""
    moment = datetime.fromtimestamp(expires, zone or UTC)
    when = f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}" + ("" if zone else " UTC")
    return f"in {human_lifetime(expires - now)} ({when})"
