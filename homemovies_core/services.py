"""The long-lived objects of one process, built once from the settings.

Both the Streamlit pages and our own HTTP routes (which run outside any script
context) need the same storage, cache and keys, so they live here in a process-wide
singleton rather than in `st.cache_resource`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt

from . import settings as settings_mod
from . import signing
from .cache import Cache, FailoverCache, make_cache, redis_url_from_setting
from .catalog import Catalog
from .pars import PlaybackUrls
from .settings import Settings, SettingsError
from .storage.base import Storage
from .throttle import LoginThrottle

log = logging.getLogger(__name__)

APP_DIR = Path(__file__).resolve().parent.parent
DEMO_USER = "demo"


@dataclass(frozen=True)
class Credentials:
    username: str  # lower case: streamlit-authenticator lower-cases what is typed
    display_name: str
    password_hash: str  # bcrypt


@dataclass(frozen=True)
class Services:
    settings: Settings
    cache: Cache
    storage: Storage
    catalog: Catalog
    urls: PlaybackUrls
    throttle: LoginThrottle
    credentials: Credentials
    cookie_key: str
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
    cookie_key = settings.cookie_key
    if not cookie_key:
        cookie_key = secrets.token_urlsafe(32)
        warnings.append("No cookie key is configured, so a random one is used: logins will not "
                        "survive a restart or work across replicas. Set --cookie_key_file "
                        "or HM_COOKIE_KEY (e.g. from `openssl rand -hex 32`).")
    username = (settings.username or DEMO_USER).strip().lower()
    password = settings.password
    if not password:
        password = secrets.token_urlsafe(9)
        announce(f"Home Movies: no password is configured. Log in as '{username}' with the "
                 f"password: {password}")
    credentials = Credentials(
        username=username, display_name=settings.username or "Demo",
        password_hash=bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode())

    plain_host = redis_host_without_tls(settings)
    if plain_host:
        warnings.append(f"Redis at {plain_host} is reached without TLS (redis://): login "
                        f"sessions, share links and any Redis password cross the network "
                        f"unencrypted; use rediss:// or a Redis on this machine, or set "
                        f"--redis_plaintext_ok if that network is private to this app.")
    cache = make_cache(None if settings.local_cache else settings.redis_url,
                       insecure_tls=settings.redis_insecure_tls)
    if isinstance(cache, FailoverCache) and not cache.ping():
        warnings.append("Redis cannot be reached; the app uses its in-process cache until it "
                        "comes back.")
    storage = build_storage(settings, signing.derive_key(cookie_key, "video-url"), announce)
    if storage.kind == "oci":
        storage.start_background_sweep(cache)  # expired hm: PARs, at most hourly per bucket
    catalog = Catalog(storage, cache, listing_ttl=settings.cache_ttl_seconds,
                      count_eagerly=storage.kind == "local")
    urls = PlaybackUrls(storage, cache, ttl_seconds=settings.par_ttl_hours * 3600,
                        min_remaining_seconds=settings.par_min_remaining_hours * 3600)
    for w in warnings:
        log.warning(w)
    return Services(settings=settings, cache=cache, storage=storage, catalog=catalog, urls=urls,
                    throttle=LoginThrottle(cache), credentials=credentials,
                    cookie_key=cookie_key, warnings=tuple(warnings))


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
    from .storage.local import LocalStorage

    if settings.storage_kind == "local":
        return LocalStorage(settings.media_dir, url_key)
    if settings.storage_kind == "demo":
        from .demo import ensure_demo_library

        root = settings.demo_dir or default_demo_dir()
        announce(f"Home Movies: no bucket or media folder configured; serving the demo library "
                 f"in {root}")
        try:
            return LocalStorage(ensure_demo_library(root), url_key)
        except OSError as exc:
            raise SettingsError(f"The demo library could not be made in {root} "
                                f"({exc.strerror or exc}); give --demo_dir or --media_dir.") \
                from None
    from .storage.oci import OciStorage

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


def get() -> Services:
    """The process's services, built from sys.argv on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = build(load_settings(sys.argv[1:]))
        return _current


def load_settings(argv: list[str]) -> Settings:
    loaded = settings_mod.load(argv, os.environ, settings_mod.default_secrets_files(APP_DIR))
    if loaded.secret:
        from .vault import fill_from_vault

        loaded = fill_from_vault(loaded)
    return loaded


def boot() -> None:
    """Start-up: build everything now so a bad configuration stops the server with one
    clear sentence instead of failing on the first page view."""
    from .ffmpeg import FfmpegError
    from .storage.base import StorageError

    try:
        get()
    except (SettingsError, StorageError, FfmpegError) as exc:
        print(f"home-movies: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
