"""How many password guesses the app answers, and how fast: budgets over the per-client throttle.

The throttle alone (5 failures per user name and client in 15 minutes, IPv6 per /64) cannot
stop a crowd: a /48 holds 65,536 /64s, each with 5 guesses per name, and every guess costs a
bcrypt check (a quarter of a second of a core). So, for a browser that is not a known device:

- per user name and client: 5 failures in 15 minutes (the throttle; a success forgets it);
- per client, whatever the name: 20 failures in 15 minutes (one address spraying names);
- per user name, whatever the client: 20 failures in 15 minutes (a crowd guessing one name);
- overall: 100 failures in 15 minutes (a crowd spraying names).

A known device (known_devices.py: this browser logged in as this name before) counts per name
and device only, 5 in 15 minutes: whatever strangers do, the family logs in on their own
phones and TVs, and on a new screen through a phone's approval. A new browser may have to
wait while a crowd is at it; that is the price of a bound that holds.

Every name is its own subject, known or not, and the answers and their timing do not depend
on whether it exists (finding 3: an unknown name used to say "too many" where a real one
said "4 more tries").

The per-name-and-client count is taken before the password is checked, atomically, so
parallel guesses cannot slip past it. The budgets are read before and counted after a
failure: a burst from many clients at once can overshoot them by the checks in flight,
which `CheckRate` bounds. Every bcrypt check of a process (logins, share-link passwords)
first takes a token from its `CheckRate`: 4 a second, so at most about one core of a
replica's two, whatever arrives.
"""

from __future__ import annotations

from .cache import Cache
from .throttle import Attempt, CheckRate, Throttle

WINDOW_SECONDS = 900
PER_NAME_AND_CLIENT = 5
PER_CLIENT = 20
PER_NAME = 20
OVERALL = 100
ANY = ""  # the subject or client of a count that covers all of them


class LoginGuard:
    def __init__(self, cache: Cache, checks: CheckRate) -> None:
        window = WINDOW_SECONDS

        def throttle(limit: int, scope: str) -> Throttle:
            return Throttle(cache, max_failures=limit, window_seconds=window, scope=scope)

        self.window = window
        self.max_failures = PER_NAME_AND_CLIENT  # what the form counts down ("4 more tries")
        self.checks = checks
        self.name_and_client = throttle(PER_NAME_AND_CLIENT, "login")
        self.name_and_device = throttle(PER_NAME_AND_CLIENT, "login-device")
        self.client = throttle(PER_CLIENT, "login-client")
        self.name = throttle(PER_NAME, "login-name")
        self.overall = throttle(OVERALL, "login-all")

    def attempt(self, name: str, address: str, device: str | None = None) -> Attempt:
        """Count an attempt to log in as `name`, then say whether its password may be checked;
        `device` is the known-device id of this browser for that name, if it has one."""
        if device:
            return self.name_and_device.attempt(name, device)
        wait = max(
            throttle.blocked(subject, client)
            for throttle, subject, client in self._budgets(name, address)
        )
        if wait > 0:
            return Attempt(False, 0, wait)
        return self.name_and_client.attempt(name, address)

    def failed(self, name: str, address: str, device: str | None = None) -> None:
        """After a wrong password (the attempt itself was counted already)."""
        if not device:
            for throttle, subject, client in self._budgets(name, address):
                throttle.failed(subject, client)

    def succeeded(self, name: str, address: str, device: str | None = None) -> None:
        if device:
            self.name_and_device.succeeded(name, device)
        else:
            self.name_and_client.succeeded(name, address)

    def _budgets(self, name: str, address: str) -> tuple[tuple[Throttle, str, str], ...]:
        return ((self.client, ANY, address), (self.name, name, ANY), (self.overall, ANY, ANY))
