"""Log a TV in with a phone: short codes a logged-in phone approves.

States of one code (all in the Cache, so any replica can serve either side):

    (none) --start--> PENDING --approve--> APPROVED --claim--> (deleted: used once)
                         \\__________________\\___ 10 minutes ___> (gone: expired)

- The TV asks for a code (a button: no code exists until a screen asks for one) and shows
  it with a QR code of the pairing page's URL, and a 3-digit *check number* that is in
  neither the link nor the QR code. The TV keeps a random device secret that only its own
  session knows; only the holder of that secret can claim the approval.
- The phone must be logged in, sees which device asks (browser, system, address, and whether
  it is on the phone's own network), and must type the check number from the screen in front
  of it. So a link sent by a stranger ("scan this for the TV") cannot be approved with one
  tap: it would take a number only the stranger's screen shows. Three wrong numbers burn the
  code.
- Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), 31^8 ≈ 8.5e11
  of them; guessing on the pairing page is throttled per address, and starting codes is
  capped per client (per /64 for IPv6), so a flood from a few addresses cannot crowd out a
  real TV. A much larger overall cap only bounds memory.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from .cache import Cache, get_json, set_json
from .throttle import Throttle, client_key

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_SECONDS = 10 * 60
CHECK_DIGITS = 3
WRONG_CHECKS = 3  # wrong check numbers typed for one code before it stops working
MAX_PER_CLIENT = 6  # codes one client (address, or IPv6 /64) may start in one window
MAX_PENDING = 20_000  # codes started in one window across all clients: a bound on memory
GUESS_FAILURES = 10  # unknown codes typed or opened from one address before it must wait
GUESS_WINDOW = 10 * 60

_KEY = "pair:"
_CLAIMED = "pair-claimed:"
_WRONG = "pair-wrong:"
_STARTED_ALL = "pair-started"
_STARTED_BY = "pair-started:"


class State(Enum):
    PENDING = "pending"
    APPROVED = "approved"


class Approval(Enum):
    APPROVED = "approved"
    WRONG_NUMBER = "wrong number"
    GONE = "gone"  # unknown, expired, already used, or burned by wrong numbers


class PairingBusy(Exception):
    """Too many codes were started from this client (or overall); the sentence says what to do."""


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
    """What the TV keeps in its own session: the code and check number to show, and the
    secret to claim with."""

    code: str
    secret: str = field(repr=False)
    expires: float = 0.0
    check: str = ""


def normalise_code(text: str) -> str | None:
    """What a person typed → a well-formed code, or None. Case, spaces and dashes don't
    matter."""
    code = re.sub(r"[\s\-]", "", (text or "")[:40]).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    """ "ABCD-EFGH": two groups of four are easier to read off a TV and type."""
    return f"{code[:4]}-{code[4:]}"


def guess_throttle(cache: Cache) -> Throttle:
    return Throttle(
        cache, max_failures=GUESS_FAILURES, window_seconds=GUESS_WINDOW, scope="pair-guess"
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Pairing:
    def __init__(self, cache: Cache, *, clock: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self._clock = clock

    def start(self, device: str, address: str) -> Ticket:
        """A new pending code for the device at `address`. Raises PairingBusy over the caps."""
        client_id = hashlib.sha256(client_key(address).encode()).hexdigest()[:24]
        if self.cache.incr(_STARTED_BY + client_id, CODE_SECONDS) > MAX_PER_CLIENT:
            raise PairingBusy(
                "This device asked for too many codes; wait ten minutes, or log "
                "in with the password."
            )
        if self.cache.incr(_STARTED_ALL, CODE_SECONDS) > MAX_PENDING:
            raise PairingBusy(
                "Too many devices are waiting to log in; try again in a few "
                "minutes, or log in with the password."
            )
        now = self._clock()
        secret = secrets.token_urlsafe(24)
        check = f"{secrets.randbelow(10**CHECK_DIGITS):0{CHECK_DIGITS}d}"
        for _ in range(8):  # a collision among ~10^12 codes is rare; `add` makes it safe anyway
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            record = {
                "d": device[:80],
                "a": address[:64],
                "c": now,
                "e": now + CODE_SECONDS,
                "s": _digest(secret),
                "k": check,
                "u": None,
            }
            if self.cache.add(_KEY + code, json.dumps(record, separators=(",", ":")), CODE_SECONDS):
                return Ticket(code=code, secret=secret, expires=now + CODE_SECONDS, check=check)
        raise PairingBusy("No free device code could be made; try again.")

    def _record(self, code: str) -> dict | None:
        data = get_json(self.cache, _KEY + code)
        try:
            live = (
                isinstance(data, dict)
                and float(data["e"]) > self._clock()
                and float(data["c"]) >= 0
            )
        except (KeyError, TypeError, ValueError):  # a corrupt entry is no code at all
            return None
        return data if live else None

    def lookup(self, code: str) -> PairingRequest | None:
        """The pending or approved request for a (typed) code; None if unknown, expired or used."""
        normal = normalise_code(code)
        data = self._record(normal) if normal else None
        if data is None:
            return None
        return PairingRequest(
            code=normal,
            device=str(data.get("d", "")),
            address=str(data.get("a", "")),
            created=float(data["c"]),
            expires=float(data["e"]),
            approved_by=data.get("u") or None,
        )

    def approve(self, code: str, username: str, check: str) -> Approval:
        """Let the device log in as `username`, if `check` is the number its screen shows."""
        normal = normalise_code(code)
        data = self._record(normal) if normal else None
        if data is None or data.get("u"):
            return Approval.GONE
        typed = re.sub(r"\s", "", check or "")[:16]
        if not hmac.compare_digest(typed.encode(), str(data.get("k", "")).encode()):
            if self.cache.incr(_WRONG + normal, CODE_SECONDS) >= WRONG_CHECKS:
                self.cache.delete(_KEY + normal)  # burned: the TV must ask for a new code
                return Approval.GONE
            return Approval.WRONG_NUMBER
        data["u"] = username
        # Keep the code's own deadline: approving must not extend it.
        set_json(self.cache, _KEY + normal, data, float(data["e"]) - self._clock())
        return Approval.APPROVED

    def claim(self, ticket: Ticket) -> str | None:
        """The TV's poll: the approving username, exactly once; None while pending or if gone."""
        data = self._record(ticket.code)
        if data is None or not data.get("u"):
            return None
        if not hmac.compare_digest(
            str(data.get("s", "")).encode(), _digest(ticket.secret).encode()
        ):
            return None
        # Two polls racing (two replicas, a double click): only one `add` wins.
        if not self.cache.add(_CLAIMED + ticket.code, "1", CODE_SECONDS):
            return None
        self.cache.delete(_KEY + ticket.code)
        return str(data["u"])

    def cancel(self, ticket: Ticket) -> None:
        """The TV logged in some other way: its code must not be approvable any more."""
        data = self._record(ticket.code)
        if data is not None and hmac.compare_digest(
            str(data.get("s", "")).encode(), _digest(ticket.secret).encode()
        ):
            self.cache.delete(_KEY + ticket.code)


def network_clue(device_address: str, phone_address: str) -> str:
    """A coarse, honest hint of where the asking device is, relative to the phone: the same
    network (the same IPv4 address or /24, or the same IPv6 /64), a home or office network,
    or somewhere on the internet. (No geolocation database: the app works offline.)"""
    try:
        device = ipaddress.ip_address(device_address)
    except ValueError:
        return "at an address the app cannot place"
    if client_key(device_address) == client_key(phone_address) or _same_24(
        device_address, phone_address
    ):
        return "on the same network as this phone"
    if device.is_loopback:
        return "on the server itself"
    if not device.is_global:
        return "on a private (home or office) network — not on this phone's network"
    return "somewhere on the internet — not on this phone's network"


def _same_24(a: str, b: str) -> bool:
    try:
        x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return False
    return x.version == y.version == 4 and ipaddress.ip_network(
        f"{x}/24", strict=False
    ) == ipaddress.ip_network(f"{y}/24", strict=False)


_BROWSERS = (
    ("SamsungBrowser", "Samsung Internet"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chromium", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Tizen", "a Samsung TV"),
    ("Web0S", "an LG TV"),
    ("webOS", "an LG TV"),
    ("CrKey", "a Chromecast"),
    ("AFT", "a Fire TV"),
    ("Android TV", "an Android TV"),
    ("BRAVIA", "a Sony TV"),
    ("iPad", "an iPad"),
    ("iPhone", "an iPhone"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Macintosh", "a Mac"),
    ("CrOS", "a Chromebook"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str | None) -> str:
    """A short, human summary of a User-Agent ("Chrome on Android"); never the raw string."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "an unknown device"
