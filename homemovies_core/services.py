"""The long-lived objects of one process, built once from the settings at start-up.

`boot()` builds them when `streamlit run` imports Home.py and hands them to the HTTP routes
(`routes.build(svc)`); pages reach the same object with `get()`. Both the pages and our
routes (which run outside any script context) need the same storage, cache, keys and
stores, so they live here rather than in `st.cache_resource`. Every feature store is made
here, once: pages never build their own.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import settings as settings_mod  # noqa: F401 (tests build settings through services)
from . import signing
from .cache import Cache
from .catalog import Catalog
from .configuration import APP_DIR, load_parsed_settings, load_settings  # noqa: F401 (for commands)
from .health import HealthMonitor, monitor_for
from .jobs.service import Jobs
from .known_devices import KnownDevices
from .login_guard import LoginGuard
from .observability import logs
from .pairing import Pairing, guess_throttle
from .pars import PlaybackUrls
from .progress import ProgressStore
from .redis_cache import FailoverCache, make_cache, redis_url_from_setting, shared_only
from .references import ReferenceCheck
from .sessions import SessionStore
from .settings import Settings, SettingsError
from .shares import ShareStore, lookup_throttle, password_throttle
from .storage.base import Storage
from .storage.metered import MeteredStorage
from .throttle import CheckRate, Throttle
from .uploads import Uploads
from .uploads import build as build_uploads
from .users import Credentials, Users, hash_password, parse

log = logging.getLogger(__name__)

DEMO_USER = "demo"


@dataclass(frozen=True)
class Throttles:
    """Each kind of guessing, counted apart (see throttle.py)."""

    login: LoginGuard  # passwords: per name and client, budgets, known devices
    password_checks: CheckRate  # every bcrypt check of this process (logins, share links)
    share_lookup: Throttle  # share-link tokens that do not exist, per client
    share_password: Throttle  # wrong passwords of one share link, per client
    pair_guess: Throttle  # device codes that do not exist, per phone user and client


@dataclass(frozen=True)
class Services:
    settings: Settings
    cache: Cache
    storage: Storage
    catalog: Catalog
    urls: PlaybackUrls
    references: ReferenceCheck  # what a movie's playlists may point at (references.py)
    credentials: Users  # everyone who may log in, by user name
    cookie_key: str = field(repr=False)  # a secret: never in a log through repr()
    sessions: SessionStore
    known_devices: KnownDevices  # browsers that logged in before (login_guard.py)
    progress: ProgressStore
    shares: ShareStore
    pairing: Pairing
    throttles: Throttles
    health: HealthMonitor  # what /health reports, refreshed in the background
    jobs: Jobs  # the job queue: processing uploaded videos (jobs/service.py)
    uploads: Uploads  # adding videos from a browser (uploads/)
    warnings: tuple[str, ...]  # shown to logged-in users: things an operator should fix

    def key(self, purpose: str) -> bytes:
        return signing.derive_key(self.cookie_key, purpose)

    @property
    def cache_reachable(self) -> bool:
        return self.cache.ping()

    @property
    def cache_degraded(self) -> bool:
        return isinstance(self.cache, FailoverCache) and self.cache.degraded


def build(settings: Settings, *, announce=print) -> Services:
    warnings: list[str] = []
    cookie_key = settings.cookie_key or _random_cookie_key(warnings)
    credentials = login_users(settings, announce, cookie_key=cookie_key)
    cache = _cache(settings, warnings)
    storage = MeteredStorage(
        build_storage(settings, signing.derive_key(cookie_key, "video-url"), announce)
    )
    storage.start_background(cache)
    catalog = Catalog(
        storage, cache, listing_ttl=settings.cache_ttl_seconds,
        count_eagerly=storage.kind == "local",
    )  # fmt: skip
    urls = PlaybackUrls(
        storage, cache, ttl_seconds=settings.par_ttl_hours * 3600,
        min_remaining_seconds=settings.par_min_remaining_hours * 3600,
    )  # fmt: skip
    for w in warnings:
        log.warning(w)
    key = signing.derive_key
    secure = shared_only(cache)  # security state never falls back to one replica's memory
    # bcrypt at cost 12 is ~0.25 s of a core: 4 a second is about one of a replica's two.
    checks = CheckRate(per_second=4, burst=8)
    jobs = Jobs.build(settings, cache, storage)
    uploads, sweeper = build_uploads(
        settings, storage, secure, catalog, key(cookie_key, "upload"), jobs=jobs
    )
    if uploads.unavailable() is None:  # adding videos is on: clean up after abandoned ones
        sweeper.start(secure)
    return Services(
        settings=settings, cache=cache, storage=storage, catalog=catalog, urls=urls,
        references=ReferenceCheck(storage, cache),
        credentials=credentials, cookie_key=cookie_key,
        sessions=SessionStore(
            secure, key(cookie_key, "session"), generation_of=credentials.generation
        ),
        known_devices=KnownDevices(key(cookie_key, "known-device")),
        progress=ProgressStore(
            cache, key(cookie_key, "progress"), generation_of=credentials.generation
        ),
        shares=ShareStore(secure), pairing=Pairing(secure),
        throttles=Throttles(
            login=LoginGuard(secure, checks), password_checks=checks,
            share_lookup=lookup_throttle(secure), share_password=password_throttle(secure),
            pair_guess=guess_throttle(secure),
        ),
        health=monitor_for(cache), warnings=tuple(warnings), jobs=jobs, uploads=uploads,
    )  # fmt: skip


def _random_cookie_key(warnings: list[str]) -> str:
    warnings.append(
        "No cookie key is configured, so a random one is used: logins will not "
        "survive a restart or work across replicas. Set --cookie_key_file "
        "or HM_COOKIE_KEY (e.g. from `openssl rand -hex 32`)."
    )
    return secrets.token_urlsafe(32)


def _cache(settings: Settings, warnings: list[str]) -> Cache:
    plain_host = redis_host_without_tls(settings)
    if plain_host:
        warnings.append(
            f"Redis at {plain_host} is reached without TLS (redis://): login "
            f"sessions, share links and any Redis password cross the network "
            f"unencrypted; use rediss:// or a Redis on this machine, or set "
            f"--redis_plaintext_ok if that network is private to this app."
        )
    cache = make_cache(
        None if settings.local_cache else settings.redis_url,
        insecure_tls=settings.redis_insecure_tls,
    )
    if isinstance(cache, FailoverCache) and not cache.ping():
        warnings.append(
            "Redis cannot be reached; the app uses its in-process cache until it comes back."
        )
    return cache


def login_users(settings: Settings, announce=print, *, cookie_key: str = "") -> Users:
    """The family from the users file (or the Vault secret `users`), plus the one user that
    --username/--password give; with neither, the demo user with a random password. That
    user's bcrypt hash is new at every start, so its password is named (for sessions, see
    Credentials.generation) by an HMAC under the cookie key: the same on every replica."""
    listed = parse(settings.users) if settings.users is not None else Users()
    if listed and not (settings.username or settings.password):
        return listed
    username = (settings.username or DEMO_USER).strip().lower()
    password = settings.password
    if not password:
        password = secrets.token_urlsafe(9)
        announce(
            f"Home Movies: no password is configured. Log in as '{username}' with the "
            f"password: {password}"
        )
    return listed.plus(
        Credentials(
            username=username,
            display_name=settings.username or "Demo",
            password_hash=hash_password(password),
            password_id=signing.derive_key(cookie_key, "password:" + password).hex(),
        )
    )


def redis_host_without_tls(settings: Settings) -> str | None:
    """The Redis host (never the URL, which may hold a password) when the cache talks to it
    in plain text over a network, else None. A bare host name means TLS (OCI Cache)."""
    if not settings.use_redis or settings.redis_plaintext_ok:
        return None
    parts = urlsplit(redis_url_from_setting(settings.redis_url or ""))
    if parts.scheme.lower() != "redis":
        return None
    host = parts.hostname or "localhost"  # redis-py's default for redis:// with no host
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # loopback by RFC 6761
        return None
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return host  # any other name may resolve to anywhere
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return None if address.is_loopback else host


def build_storage(settings: Settings, url_key: bytes, announce=print) -> Storage:
    from .storage.overlay import open_library

    if settings.storage_kind == "local":  # with --uploads_dir, new movies' folder too
        return open_library(settings.media_dir, settings.uploads_dir, url_key)
    if settings.storage_kind == "demo":
        from .demo import ensure_demo_library

        root = settings.demo_dir or default_demo_dir()
        announce(
            f"Home Movies: no bucket or media folder configured; serving the demo library in {root}"
        )
        try:
            return open_library(ensure_demo_library(root), settings.uploads_dir, url_key)
        except OSError as exc:
            raise SettingsError(
                f"The demo library could not be made in {root} "
                f"({exc.strerror or exc}); give --demo_dir or --media_dir."
            ) from None
    from .oci.storage import OciStorage

    return OciStorage.from_settings(settings)


def default_demo_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "home-movies" / "demo"


_current: Services | None = None
_lock = threading.Lock()


def install(services: Services | None) -> None:
    """Set the process's services (tests; and `boot` below)."""
    global _current
    with _lock:
        _current = services


class NotBooted(RuntimeError):
    """`get()` before `boot()` (or `install()` in a test): a bug, not a user's mistake."""


def get() -> Services:
    """The process's services, as `boot()` built them."""
    with _lock:
        if _current is None:
            raise NotBooted(
                "Home Movies has not started: run it with `streamlit run Home.py`, "
                "which builds its services when it imports Home.py."
            )
        return _current


def configure_logs(settings: Settings) -> None:
    """Log lines in the chosen format from here on; users appear as a hash keyed by the cookie
    key, so the same person has the same hash on every replica (a random key without one)."""
    key = settings.cookie_key or secrets.token_urlsafe(32)
    logs.configure(settings.log_format, user_key=signing.derive_key(key, "log-user"))


def boot(argv: list[str] | None = None) -> Services:
    """Start-up: build everything now (from `sys.argv` by default), so a bad configuration
    stops the server with one clear sentence instead of failing on the first page view."""
    from .ffmpeg import FfmpegError
    from .storage.base import StorageError

    try:
        loaded = load_settings(sys.argv[1:] if argv is None else argv)
        configure_logs(loaded)
        built = build(loaded)
    except (SettingsError, StorageError, FfmpegError) as exc:
        print(f"home-movies: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    install(built)
    return built
