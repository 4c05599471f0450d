"""Log a TV in with a phone: short codes a logged-in phone approves.

States of one code (all in the Cache, so any replica can serve either side):

    (none) --start--> PENDING --approve--> APPROVED --claim--> (deleted: used once)
                         \\__________________\\___ 10 minutes ___> (gone: expired)

- The TV shows the code (and a QR code of the pairing page's URL with it); it keeps a
  random device secret that only its own session knows. Only the holder of that secret can
  claim the approval, so a code read off the screen by someone else logs nobody in.
- The phone must be logged in to approve, and sees which device asks (browser, system,
  address) before it does.
- Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), 31^8 ≈ 8.5e11
  of them; guessing on the pairing page is throttled per address, and starting codes is
  capped per address and overall, so a flood cannot fill the Cache or crowd out a real TV.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from .cache import Cache, get_json, set_json
from .throttle import LoginThrottle

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_SECONDS = 10 * 60
MAX_PENDING = 200  # codes started in one 10-minute window, across all clients
MAX_PER_ADDRESS = 30  # codes one address may start in one window (each page load is one)
GUESS_FAILURES = 10  # unknown codes typed or opened from one address before it must wait
GUESS_WINDOW = 10 * 60

_KEY = "pair:"
_CLAIMED = "pair-claimed:"
_STARTED_ALL = "pair-started"
_STARTED_BY = "pair-started:"


class State(Enum):
    PENDING = "pending"
    APPROVED = "approved"


class PairingBusy(Exception):
    """Too many codes are waiting; device login must wait a few minutes."""


@dataclass(frozen=True)
class PairingRequest:
    code: str
    device: str  # "Chrome on Android": what the phone shows before approving
    address: str
    created: float
    expires: float
    approved_by: str | None = None

    @property
    def state(self) -> State:
        return State.APPROVED if self.approved_by else State.PENDING


@dataclass(frozen=True)
class Ticket:
    """What the TV keeps in its own session: the code to show and the secret to claim with."""

    code: str
    secret: str = field(repr=False)
    expires: float = 0.0


def normalise_code(text: str) -> str | None:
    """What a person typed → a well-formed code, or None. Case, spaces and dashes don't
    matter."""
    code = re.sub(r"[\s\-]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    """"ABCD-EFGH": two groups of four are easier to read off a TV and type."""
    return f"{code[:4]}-{code[4:]}"


def guess_throttle(cache: Cache) -> LoginThrottle:
    return LoginThrottle(cache, max_failures=GUESS_FAILURES, window_seconds=GUESS_WINDOW,
                         scope="pair-guess")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Pairing:
    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self._clock = clock

    def start(self, device: str, address: str) -> Ticket:
        """A new pending code for the device at `address`. Raises PairingBusy over the caps."""
        address_id = hashlib.sha256(address.encode()).hexdigest()[:24]
        if self.cache.incr(_STARTED_BY + address_id, CODE_SECONDS) > MAX_PER_ADDRESS or \
                self.cache.incr(_STARTED_ALL, CODE_SECONDS) > MAX_PENDING:
            raise PairingBusy("Too many devices are waiting to log in; try again in a few "
                              "minutes, or log in with the password.")
        now = self._clock()
        secret = secrets.token_urlsafe(24)
        for _ in range(8):  # a collision among ~10^12 codes is rare; `add` makes it safe anyway
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            record = {"d": device[:80], "a": address[:64], "c": now, "e": now + CODE_SECONDS,
                      "s": _digest(secret), "u": None}
            if self.cache.add(_KEY + code, json.dumps(record, separators=(",", ":")), CODE_SECONDS):
                return Ticket(code=code, secret=secret, expires=now + CODE_SECONDS)
        raise PairingBusy("No free device code could be made; try again.")

    def _record(self, code: str) -> dict | None:
        data = get_json(self.cache, _KEY + code)
        try:
            live = isinstance(data, dict) and float(data["e"]) > self._clock() and \
                float(data["c"]) >= 0
        except (KeyError, TypeError, ValueError):  # a corrupt entry is no code at all
            return None
        return data if live else None

    def lookup(self, code: str) -> PairingRequest | None:
        """The pending or approved request for a (typed) code; None if unknown, expired or used."""
        normal = normalise_code(code)
        data = self._record(normal) if normal else None
        if data is None:
            return None
        return PairingRequest(code=normal, device=str(data.get("d", "")),
                              address=str(data.get("a", "")), created=float(data["c"]),
                              expires=float(data["e"]), approved_by=data.get("u") or None)

    def approve(self, code: str, username: str) -> PairingRequest | None:
        """Let the device log in as `username`; None if the code is unknown, expired or used."""
        normal = normalise_code(code)
        data = self._record(normal) if normal else None
        if data is None:
            return None
        data["u"] = username
        # Keep the code's own deadline: approving must not extend it.
        set_json(self.cache, _KEY + normal, data, float(data["e"]) - self._clock())
        return self.lookup(normal)

    def claim(self, ticket: Ticket) -> str | None:
        """The TV's poll: the approving username, exactly once; None while pending or if gone."""
        data = self._record(ticket.code)
        if data is None or not data.get("u"):
            return None
        if not hmac.compare_digest(str(data.get("s", "")), _digest(ticket.secret)):
            return None
        # Two polls racing (two replicas, a double click): only one `add` wins.
        if not self.cache.add(_CLAIMED + ticket.code, "1", CODE_SECONDS):
            return None
        self.cache.delete(_KEY + ticket.code)
        return str(data["u"])

    def cancel(self, ticket: Ticket) -> None:
        """The TV logged in some other way: its code must not be approvable any more."""
        data = self._record(ticket.code)
        if data is not None and hmac.compare_digest(str(data.get("s", "")),
                                                    _digest(ticket.secret)):
            self.cache.delete(_KEY + ticket.code)


_BROWSERS = (("SamsungBrowser", "Samsung Internet"), ("Edg/", "Edge"), ("OPR/", "Opera"),
             ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
             ("Chromium", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Tizen", "a Samsung TV"), ("Web0S", "an LG TV"), ("webOS", "an LG TV"),
            ("CrKey", "a Chromecast"), ("AFT", "a Fire TV"), ("Android TV", "an Android TV"),
            ("BRAVIA", "a Sony TV"), ("iPad", "an iPad"), ("iPhone", "an iPhone"),
            ("Android", "Android"), ("Windows", "Windows"), ("Macintosh", "a Mac"),
            ("CrOS", "a Chromebook"), ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> str:
    """A short, human summary of a User-Agent ("Chrome on Android"); never the raw string."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "an unknown device"
