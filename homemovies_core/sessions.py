"""Login sessions: one per browser or device that logged in, kept in the Cache.

The login cookie holds a signed `{session id, user}` with an expiry, and the session must also
still exist in the Cache. The signature means nobody can make a cookie without the cookie key;
the Cache entry means a session can be ended from anywhere — "log out this device" on the
Devices page, or the Log out button — although cookies cannot be taken back from a browser.

The cookie is HttpOnly (no script on the page can read it) and reaches the app in two ways:
the request that opens Streamlit's websocket (read server-side through `st.context.cookies`,
so knowing who is logged in never needs a component and a rerun), and our own routes.
It is *written* by `/auth/session`: the script run that logs someone in leaves a one-time
hand-off id in the Cache, and a small component in the page posts it there (see
`login_routes.py`). No rerun is involved, so no click can be lost to one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import cachetools

from . import signing
from .cache import Cache, CacheUnavailable, get_json, set_json

COOKIE_NAME = "hm_session"
SESSION_DAYS = 30
SESSION_SECONDS = SESSION_DAYS * 24 * 3600
TOUCH_SECONDS = 300  # "last seen" is written at most this often per session
HANDOFF_SECONDS = 120  # the page has this long to collect its cookie
MAX_COOKIE = 1024  # anything longer is not one of ours: not even decoded
# While Redis is unreachable, a session this replica saw alive in Redis this recently is
# still believed, so an outage does not log the family out. Nothing can be ended during the
# outage (Redis refuses the write: see redis_cache.SharedOnly); one ended elsewhere just before it
# began may live on here for at most this long.
CONFIRMED_SECONDS = 300

_KEY = "session:"
_HANDOFF = "session-handoff:"
_HANDOFF_USED = "session-handoff-used:"


@dataclass(frozen=True)
class LoginSession:
    id: str  # what the cookie carries; the Cache key is its hash
    username: str
    generation: str  # of the user's password at login (users.Credentials.generation)
    device: str  # "Chrome on Android": what the Devices page shows
    address: str  # the client address at login
    via: str  # "password" or "phone"
    created: float
    last_seen: float
    expires: float


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _handoff_key(handoff_id: str) -> bytes:
    return signing.derive_key(handoff_id, "session-handoff")


class SessionStore:
    """`generation_of(user)` is the user's credential generation now (None: no such user). A
    session lives only while it matches the one at login: a new password, or a removal and
    re-adding of the name, ends every session of the old one on every replica, and a removed
    person's sessions end with the removal (each after the app restarts with the new file)."""

    def __init__(
        self,
        cache: Cache,
        key: bytes,
        *,
        generation_of: Callable[[str], str | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Sessions this replica saw alive lately: believed during a Redis outage.
        self._confirmed: cachetools.TTLCache = cachetools.TTLCache(
            maxsize=10_000, ttl=CONFIRMED_SECONDS, timer=clock
        )
        self.cache, self._key, self._clock = cache, key, clock
        self._generation_of = generation_of

    def start(self, username: str, *, device: str, address: str, via: str) -> LoginSession:
        now = self._clock()
        generation = self._generation_of(username)
        if generation is None:
            raise ValueError("a session for someone who cannot log in")
        session = LoginSession(
            id=secrets.token_urlsafe(32),
            username=username,
            generation=generation,
            device=device[:80],
            address=address[:64],
            via=via,
            created=now,
            last_seen=now,
            expires=now + SESSION_SECONDS,
        )
        self._save(session)
        return session

    def _save(self, session: LoginSession) -> None:
        set_json(self.cache, _KEY + _digest(session.id), _entry(session), self._left(session))

    def _left(self, session: LoginSession) -> float:
        return session.expires - self._clock()

    def _valid(self, session: LoginSession | None) -> bool:
        return (
            session is not None
            and session.expires > self._clock()
            and session.generation == self._generation_of(session.username)
        )

    def cookie_value(self, session: LoginSession) -> str:
        return signing.sign(self._key, {"s": session.id, "u": session.username}, session.expires)

    def from_cookie(self, value: str | None) -> LoginSession | None:
        """The live session a cookie names; None for missing, forged, expired or ended."""
        if not value or len(value) > MAX_COOKIE:
            return None
        found = signing.verify_strings(self._key, value, "s", "u", now=self._clock())
        if found is None:
            return None
        session_id, username = found
        session = self.get(session_id)
        return session if session is not None and session.username == username else None

    def get(self, session_id: str) -> LoginSession | None:
        try:
            data = get_json(self.cache, _KEY + _digest(session_id))
        except CacheUnavailable:
            confirmed = self._confirmed.get(session_id)  # see CONFIRMED_SECONDS
            return confirmed if self._valid(confirmed) else None
        session = _parse(session_id, data)
        if not self._valid(session):
            self._confirmed.pop(session_id, None)
            return None
        self._confirmed[session_id] = session
        return session

    def touch(self, session: LoginSession) -> LoginSession:
        """Record that the session was used now (at most every few minutes). One atomic write
        that happens only if the session is still there: one ended at the same moment (on
        another replica, from the Devices page) is never brought back."""
        now = self._clock()
        if now - session.last_seen < TOUCH_SECONDS:
            return session
        fresh = LoginSession(**{**session.__dict__, "last_seen": now})
        entry = json.dumps(_entry(fresh), separators=(",", ":"))
        try:
            if not self.cache.replace(_KEY + _digest(session.id), entry, self._left(fresh)):
                return session  # ended meanwhile: the next look finds it gone
        except CacheUnavailable:
            return session  # "last seen" can wait for Redis
        return fresh

    def end(self, session_id: str) -> None:
        """Raises CacheUnavailable while Redis is down: the session lives on until it can be
        ended for every replica."""
        self.cache.delete(_KEY + _digest(session_id))
        self._confirmed.pop(session_id, None)

    def active(self, username: str) -> list[LoginSession]:
        """This user's live sessions, most recently used first. Only hashes of session ids are
        in the Cache, so each comes back with the hash as its id: enough to list and end it
        (`end_by_digest`), never to resume it."""
        found = (
            _parse(key[len(_KEY) :], get_json(self.cache, key)) for key in self.cache.scan(_KEY)
        )
        live = [s for s in found if s is not None and s.username == username and self._valid(s)]
        return sorted(live, key=lambda s: s.last_seen, reverse=True)

    def end_by_digest(self, digest: str, username: str) -> bool:
        """End one of `username`'s sessions as listed by `active` (whose ids are digests)."""
        data = get_json(self.cache, _KEY + digest)
        if not isinstance(data, dict) or data.get("u") != username:
            return False
        self.cache.delete(_KEY + digest)
        return True

    @staticmethod
    def digest(session_id: str) -> str:
        return _digest(session_id)

    # -- handing the cookie to the browser ---------------------------------------------------
    # Like sessions, the hand-off is in the Cache only under the hash of its id, and the cookie
    # is sealed with a key made from the id itself: a dump of Redis during the hand-off's two
    # minutes neither logs anyone in nor says which id would.
    def handoff(self, session: LoginSession) -> str:
        """A one-time id the page exchanges at /auth/session for the HttpOnly cookie."""
        handoff_id = secrets.token_urlsafe(24)
        # A second to spare: the seal's expiry is in whole seconds; the Cache's TTL is the limit.
        sealed = signing.seal(
            _handoff_key(handoff_id),
            {"c": self.cookie_value(session)},
            self._clock() + HANDOFF_SECONDS + 1,
        )
        self.cache.set(_HANDOFF + _digest(handoff_id), sealed, HANDOFF_SECONDS)
        return handoff_id

    def handoff_pending(self, handoff_id: str) -> bool:
        return self.cache.get(_HANDOFF + _digest(handoff_id)) is not None

    def collect(self, handoff_id: str) -> str | None:
        """The cookie value for a hand-off id, exactly once; None if unknown, used or expired."""
        if not handoff_id or len(handoff_id) > 64:
            return None
        entry = _HANDOFF + _digest(handoff_id)
        sealed = self.cache.get(entry)
        if sealed is None or not self.cache.add(
            _HANDOFF_USED + _digest(handoff_id), "1", HANDOFF_SECONDS
        ):
            return None
        self.cache.delete(entry)
        payload = signing.unseal(_handoff_key(handoff_id), sealed, now=self._clock())
        value = None if payload is None else payload.get("c")
        return value if isinstance(value, str) else None


# Field → (key in the Cache entry, its type). An entry without "g" (from before generations)
# is no session: everyone logs in once more after that upgrade.
_STORED = {
    "username": ("u", str),
    "generation": ("g", str),
    "device": ("d", str),
    "address": ("a", str),
    "via": ("v", str),
    "created": ("c", float),
    "last_seen": ("l", float),
    "expires": ("e", float),
}


def _entry(session: LoginSession) -> dict:
    """What the Cache holds for a session (the id only as the key's hash)."""
    return {key: getattr(session, name) for name, (key, _kind) in _STORED.items()}


def _parse(session_id: str, data: object) -> LoginSession | None:
    if not isinstance(data, dict):
        return None
    try:
        values = {name: kind(data[key]) for name, (key, kind) in _STORED.items()}
    except (KeyError, TypeError, ValueError):  # a corrupt entry is no session
        return None
    return LoginSession(id=session_id, **values)
