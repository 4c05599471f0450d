"""The rules a whole `Settings` must meet, each broken rule one `SettingsError` sentence.

Sentences name where a bad value was given (`describe_source`) and never show a secret.
"""

from __future__ import annotations

import ipaddress
import math
import os
from urllib.parse import urlsplit

from zxcvbn import zxcvbn

from ..users import UsersError, parse
from .model import BY_NAME, Settings, SettingsError
from .sources import describe_source, where

# bcrypt looks at the first 72 bytes only (and bcrypt >= 5 refuses longer input outright).
BCRYPT_MAX_BYTES = 72
# The cookie key signs login cookies: it must be as hard to guess as 32 random bytes are
# meant to be. 32 characters is the least that can carry 128 bits, and zxcvbn's estimate
# catches what looks random to a character count but is not (repeats, words, keyboard rows).
COOKIE_KEY_MIN_CHARS = 32
COOKIE_KEY_MIN_BITS = 128
LOG_FORMATS = ("text", "json")
# The /metrics token travels in a header and is compared as bytes: visible ASCII, and long
# enough that guessing it is hopeless (`openssl rand -hex 32` gives 64 characters).
METRICS_TOKEN_MIN_CHARS = 32
# zxcvbn slows down quickly with length; a random prefix this long is already far past
# 128 bits, and a weak prefix is reason enough to refuse the key.
_STRENGTH_SAMPLE_CHARS = 100


def validate(s: Settings) -> None:
    for check in (
        _check_storage,
        _check_numbers,
        _check_password,
        _check_cookie_key,
        _check_redis,
        _check_login,
        _check_users,
        _check_observability,
    ):
        check(s)


def cookie_key_is_strong(key: str) -> bool:
    """At least 32 characters and, by zxcvbn's estimate, at least 128 bits to guess."""
    if len(key) < COOKIE_KEY_MIN_CHARS:
        return False
    sample = key[:_STRENGTH_SAMPLE_CHARS]
    guesses_log10 = zxcvbn(sample, max_length=len(sample))["guesses_log10"]
    return guesses_log10 * math.log2(10) >= COOKIE_KEY_MIN_BITS


def _check_storage(s: Settings) -> None:
    if s.bucket and s.media_dir:
        raise SettingsError("Give either --bucket (OCI) or --media_dir (a local folder), not both.")
    if s.instance_principal and s.resource_principal:
        raise SettingsError("Choose one of --instance_principal and --resource_principal.")
    if s.media_dir is not None:
        if not s.media_dir.exists():
            raise SettingsError(f"The media folder {s.media_dir} does not exist.")
        if not s.media_dir.is_dir():
            raise SettingsError(f"The media folder {s.media_dir} is not a folder.")
        if not os.access(s.media_dir, os.R_OK | os.X_OK):
            raise SettingsError(f"The media folder {s.media_dir} cannot be read by this user.")
    if s.oci_config is not None and not s.oci_config.is_file():
        raise SettingsError(f"The OCI config file {s.oci_config} does not exist.")


def _check_numbers(s: Settings) -> None:
    if s.par_ttl_hours <= 0:
        raise SettingsError("--par_ttl_hours must be more than 0.")
    if not 0 <= s.par_min_remaining_hours < s.par_ttl_hours:
        raise SettingsError(
            "--par_min_remaining_hours must be at least 0 and less than --par_ttl_hours."
        )
    if s.cache_ttl_seconds < 0:
        raise SettingsError("--cache_ttl_seconds must be 0 or more.")
    if s.page_size < 1:
        raise SettingsError("--page_size must be at least 1.")
    if not 0 < s.max_upload_gb <= 10_000:
        raise SettingsError("--max_upload_gb must be more than 0 and at most 10000.")
    if s.metrics_port is not None and not 0 < s.metrics_port < 65536:
        raise SettingsError("--metrics_port must be a port number from 1 to 65535.")
    if not s.idle_login_minutes > 0:
        raise SettingsError("--idle_login_minutes must be more than 0.")
    for proxy in s.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"--trusted_proxies: {proxy!r} is not an IP address or network."
            ) from None


def _check_password(s: Settings) -> None:
    if not s.password:
        return
    size = _utf8_length(s.password)
    if size is None:
        raise SettingsError(f"{describe_source(s, 'password')} is not valid UTF-8 text.")
    if size > BCRYPT_MAX_BYTES:
        raise SettingsError(
            f"{describe_source(s, 'password')} is longer than {BCRYPT_MAX_BYTES} bytes "
            f"(UTF-8); bcrypt, which checks it, ignores the rest: use a shorter one."
        )


def _check_cookie_key(s: Settings) -> None:
    if not s.cookie_key:
        return  # services.build makes a random one and warns
    if _utf8_length(s.cookie_key) is None:
        raise SettingsError(f"{describe_source(s, 'cookie_key')} is not valid UTF-8 text.")
    if not cookie_key_is_strong(s.cookie_key):
        raise SettingsError(
            f"{describe_source(s, 'cookie_key')} is too weak: a cookie key must be at "
            f"least 32 random bytes; make one with `openssl rand -hex 32`."
        )


def _check_redis(s: Settings) -> None:
    if not s.redis_url:
        return
    if "://" in s.redis_url and s.redis_url.split("://", 1)[0].lower() not in ("redis", "rediss"):
        raise SettingsError(
            "--redis-url must start with redis:// or rediss://, or be a bare host name."
        )
    try:  # what redis-py would otherwise raise at start-up, as a traceback
        parts = urlsplit(s.redis_url if "://" in s.redis_url else f"rediss://{s.redis_url}")
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        # Never the URL itself: it may hold the Redis password.
        raise SettingsError(
            f"{describe_source(s, 'redis_url')} is not a valid URL: check its host name and port."
        ) from None


def _check_login(s: Settings) -> None:
    if bool(s.username) != bool(s.password) and not s.secret:
        missing = "--password" if s.username else "--username"
        raise SettingsError(
            f"{missing} is missing: give both a user name and a password, or neither "
            f"to use the demo user."
        )


def _check_users(s: Settings) -> None:
    """A users file (or the Vault secret `users`) must be one the app can use as it is: one
    bad entry stops start-up rather than locking that person out later."""
    if s.users is None:
        return
    try:
        listed = parse(s.users)
    except UsersError as exc:
        raise SettingsError(f"{users_source(s)} {exc}") from None
    username = (s.username or "").strip().lower()
    if not listed and not username:
        raise SettingsError(
            f"{users_source(s)} lists nobody: add someone with `python -m "
            f"homemovies_core users add NAME`, or give --username and --password."
        )
    if username in listed:
        raise SettingsError(
            f"{describe_source(s, 'username')} names '{username}', who is also in "
            f"{users_source(s, start=False)}: give each person once."
        )


def users_source(s: Settings, *, start: bool = True) -> str:
    """Where the users came from, in a sentence that never shows them: "The users file F
    (given by --users_file)", "The Vault secret 'users'", "HM_USERS"…"""
    source = s.sources.get("users", "default")
    if s.users_file is not None and s.sources.get("users_file") == source:
        text = f"the users file {s.users_file} (given by {where(BY_NAME['users_file'], source)})"
    else:
        text = where(BY_NAME["users"], source)
        text = text[0].lower() + text[1:] if text.startswith("The ") else text
    return text[0].upper() + text[1:] if start else text


def _check_observability(s: Settings) -> None:
    if s.log_format not in LOG_FORMATS:
        raise SettingsError(f"--log_format must be text or json, not {s.log_format!r}.")
    token = s.metrics_token
    if token is None:
        return
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise SettingsError(
            f"{describe_source(s, 'metrics_token')} must be ASCII letters, digits and "
            f"punctuation without spaces (it travels in an HTTP header)."
        )
    if len(token) < METRICS_TOKEN_MIN_CHARS:
        raise SettingsError(
            f"{describe_source(s, 'metrics_token')} is too short: at least "
            f"{METRICS_TOKEN_MIN_CHARS} characters; make one with `openssl rand -hex 32`."
        )


def _utf8_length(text: str) -> int | None:
    """Bytes in UTF-8; None for text that has none (bytes that were not UTF-8 in argv or
    the environment arrive as lone surrogates)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None
