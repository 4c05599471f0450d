"""One frozen Settings object built from flags, environment and the secrets file.

Precedence, highest first: command-line flags (after `--` on `streamlit run`),
environment variables `HM_<NAME>`, keys in `.streamlit/secrets.toml`, then the
OCI Vault (filled in later by `vault.py`). Every problem a user can cause ends
as one `SettingsError` sentence; callers print it and exit non-zero.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from zxcvbn import zxcvbn

PROG = "home-movies"
# bcrypt looks at the first 72 bytes only (and bcrypt >= 5 refuses longer input outright).
BCRYPT_MAX_BYTES = 72
# The cookie key signs login cookies: it must be as hard to guess as 32 random bytes are
# meant to be. 32 characters is the least that can carry 128 bits, and zxcvbn's estimate
# catches what looks random to a character count but is not (repeats, words, keyboard rows).
COOKIE_KEY_MIN_CHARS = 32
COOKIE_KEY_MIN_BITS = 128
# zxcvbn slows down quickly with length; a random prefix this long is already far past
# 128 bits, and a weak prefix is reason enough to refuse the key.
_STRENGTH_SAMPLE_CHARS = 100
# A secrets file holds one short line; read no more than this before deciding.
SECRET_FILE_MAX_BYTES = 4096


class SettingsError(Exception):
    """A configuration problem, worded for the person who made it."""


@dataclass(frozen=True)
class Option:
    name: str  # canonical name: flag `--name`, env `HM_NAME`, secrets key `name`
    help: str
    kind: str = "str"  # str | bool | int | float | list | path
    default: object = None
    aliases: tuple[str, ...] = ()
    secret: bool = False  # never echo the value anywhere

    @property
    def env_name(self) -> str:
        return "HM_" + self.name.upper().replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("bucket", "OCI Object Storage bucket with foldered videos"),
    Option("os_endpoint", "Object Storage endpoint (default: the region's own)"),
    Option("username", "login user name (default: demo)"),
    Option("password", "login password (default: a random one printed at start-up); "
           "prefer --password_file or HM_PASSWORD, which `ps` does not show", secret=True),
    Option("password_file", "file whose first line is the login password (or HM_PASSWORD_FILE), "
           "e.g. a Docker or Kubernetes secret: neither `ps` nor `docker inspect` shows it",
           kind="path"),
    Option("secret", "OCID of a compartment whose Vault holds the secrets username, password, "
           "bucket, redis-url and cookie-key"),
    Option("redis_url", "Redis for the shared cache: redis://, rediss:// or a bare OCI Cache "
           "host name (TLS on port 6379)", aliases=("redis-url",), secret=True),
    Option("redis_insecure_tls", "do not verify the Redis server's TLS certificate", kind="bool",
           default=False),
    Option("redis_plaintext_ok", "the network to a redis:// Redis is private to this app (e.g. "
           "a Compose network): do not warn that it is unencrypted", kind="bool", default=False),
    Option("local_cache", "use the in-process cache even if a Redis URL is configured",
           kind="bool", default=False),
    Option("instance_principal", "sign in to OCI with instance principals", kind="bool",
           default=False),
    Option("resource_principal", "sign in to OCI with resource principals", kind="bool",
           default=False),
    Option("oci_config", "OCI config file (default ~/.oci/config)", kind="path"),
    Option("oci_profile", "profile in the OCI config file", default="DEFAULT"),
    Option("vault_endpoint", "override the OCI Vault endpoint"),
    Option("secrets_endpoint", "override the OCI Secrets endpoint"),
    Option("media_dir", "serve a local folder of videos instead of a bucket", kind="path",
           aliases=("media-dir",)),
    Option("demo_dir", "where the generated demo library lives (when no bucket or media_dir)",
           kind="path"),
    Option("cookie_key", "key that signs login cookies and playback URLs; share it between "
           "replicas; at least 32 random bytes, e.g. from `openssl rand -hex 32`; prefer "
           "--cookie_key_file or HM_COOKIE_KEY, which `ps` does not show", secret=True),
    Option("cookie_key_file", "file whose first line is the cookie key (or "
           "HM_COOKIE_KEY_FILE)", kind="path"),
    Option("par_ttl_hours", "lifetime of a playback URL in hours", kind="float", default=6.0),
    Option("par_min_remaining_hours", "reissue a playback URL when less than this is left",
           kind="float", default=3.0),
    Option("cache_ttl_seconds", "how long folder listings are cached", kind="int", default=60),
    Option("trusted_proxies", "comma-separated addresses or networks whose X-Forwarded-For is "
           "believed", kind="list", default=()),
    Option("page_size", "video cards drawn per page of a folder", kind="int", default=24),
)
_BY_NAME = {o.name: o for o in OPTIONS}
# A secret -> the option naming a file that holds it, so that it appears neither in `ps`
# nor in `docker inspect`.
SECRET_FILES = {"password": "password_file", "cookie_key": "cookie_key_file"}
# Lower is stronger: a value given at a stronger level wins over a file given at a weaker one.
_PRECEDENCE = {"flag": 0, "env": 1, "secrets": 2}


@dataclass(frozen=True)
class Settings:
    bucket: str | None = None
    os_endpoint: str | None = None
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    secret: str | None = None
    redis_url: str | None = None
    redis_insecure_tls: bool = False
    redis_plaintext_ok: bool = False
    local_cache: bool = False
    instance_principal: bool = False
    resource_principal: bool = False
    oci_config: Path | None = None
    oci_profile: str = "DEFAULT"
    vault_endpoint: str | None = None
    secrets_endpoint: str | None = None
    media_dir: Path | None = None
    demo_dir: Path | None = None
    cookie_key: str | None = None
    cookie_key_file: Path | None = None
    par_ttl_hours: float = 6.0
    par_min_remaining_hours: float = 3.0
    cache_ttl_seconds: int = 60
    trusted_proxies: tuple[str, ...] = ()
    page_size: int = 24
    # Which source gave each value ("flag", "env", "secrets", "vault", "default").
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def storage_kind(self) -> str:
        if self.bucket:
            return "oci"
        return "local" if self.media_dir else "demo"

    @property
    def use_redis(self) -> bool:
        return bool(self.redis_url) and not self.local_cache

    def __repr__(self) -> str:  # secrets never reach a log through repr()
        shown = {
            o.name: ("***" if o.secret and getattr(self, o.name) else getattr(self, o.name))
            for o in OPTIONS
        }
        return f"Settings({shown})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamlit run Home.py --",
        description="Home Movies: watch the family's videos from OCI Object Storage or a folder. "
        "Every flag can also be set as an environment variable HM_<NAME> or a key in "
        ".streamlit/secrets.toml; flags win over the environment, the environment over the file.",
    )
    for option in OPTIONS:
        flags = [f"--{option.name}", *(f"--{a}" for a in option.aliases)]
        if option.kind == "bool":
            parser.add_argument(*flags, dest=option.name, action="store_true", default=None,
                                help=option.help)
        else:
            default = option.default
            shown = "" if default in (None, ()) else f" (default {default})"
            parser.add_argument(*flags, dest=option.name, default=None, metavar=option.name.upper(),
                                help=option.help + shown)
    return parser


def load(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    secrets_files: Sequence[Path] = (),
) -> Settings:
    """Parse and validate. `argparse` itself exits for -h and unknown flags."""
    env = os.environ if env is None else env
    parsed = vars(build_parser().parse_args(list(argv)))
    file_values = _read_secrets_files(secrets_files)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        raw, source = _first_given(option, parsed, env, file_values)
        if raw is None:
            continue
        values[option.name] = _convert(option, raw, source)
        sources[option.name] = source
    for name, file_name in SECRET_FILES.items():
        _read_secret_given_as_file(name, file_name, values, sources)
    settings = Settings(**values, sources=sources)
    validate(settings)
    return settings


def with_values(settings: Settings, values: Mapping[str, object], source: str) -> Settings:
    """Fill in values that nothing with higher precedence gave (used by the Vault)."""
    missing = {k: v for k, v in values.items() if getattr(settings, k) in (None, "")}
    sources = {**settings.sources, **{k: source for k in missing}}
    updated = replace(settings, **missing, sources=sources)
    validate(updated)
    return updated


def default_secrets_files(app_dir: Path) -> list[Path]:
    candidates = [Path.home() / ".streamlit" / "secrets.toml",
                  app_dir / ".streamlit" / "secrets.toml",
                  Path.cwd() / ".streamlit" / "secrets.toml"]
    unique: list[Path] = []
    for path in candidates:
        if path.resolve() not in [p.resolve() for p in unique]:
            unique.append(path)
    return unique


def _read_secret_given_as_file(name: str, file_name: str, values: dict[str, object],
                               sources: dict[str, str]) -> None:
    """Fill `values[name]` from the file option beside it, unless a stronger source gave it."""
    if file_name not in values:
        return
    file_source = sources[file_name]
    if name in sources:
        if sources[name] == file_source:
            raise SettingsError(f"Give either {_where(_BY_NAME[name], file_source)} or "
                                f"{_where(_BY_NAME[file_name], file_source)}, not both.")
        if _PRECEDENCE[sources[name]] < _PRECEDENCE[file_source]:
            return
    values[name] = read_secret_file(values[file_name], _where(_BY_NAME[file_name], file_source))
    sources[name] = file_source


def read_secret_file(path: Path, where: str) -> str:
    """The first line of `path` without its line ending; nothing else is trimmed, since
    spaces may be part of a password."""
    try:
        with path.open("rb") as f:
            head = f.read(SECRET_FILE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise SettingsError(f"The file {path} given by {where} does not exist.") from None
    except IsADirectoryError:
        raise SettingsError(f"{path}, given by {where}, is a folder, not a file.") from None
    except OSError as exc:
        raise SettingsError(f"The file {path} given by {where} cannot be read "
                            f"({exc.strerror or type(exc).__name__}).") from None
    line, newline, _rest = head.partition(b"\n")
    if not newline and len(head) > SECRET_FILE_MAX_BYTES:
        raise SettingsError(f"The first line of {path} (given by {where}) is longer than "
                            f"{SECRET_FILE_MAX_BYTES} bytes; it should hold just the secret.")
    try:
        # utf-8-sig: an editor's byte-order mark is not part of the secret.
        text = line.removesuffix(b"\r").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"The first line of {path} (given by {where}) is not UTF-8 "
                            f"text.") from None
    if not text:
        raise SettingsError(f"The first line of {path} (given by {where}) is empty: put the "
                            f"secret there.")
    return text


def _where(option: Option, source: str) -> str:
    """How the user gave an option, in the words they typed: `--password`, `HM_PASSWORD`…"""
    return {"flag": f"--{option.name}", "env": option.env_name,
            "secrets": f"'{option.name}' in secrets.toml",
            "vault": f"The Vault secret '{option.name.replace('_', '-')}'"}.get(
                source, f"--{option.name}")


def describe_source(s: Settings, name: str) -> str:
    """Where the value of `name` came from, for an error sentence that never shows it."""
    source = s.sources.get(name, "default")
    file_name = SECRET_FILES.get(name)
    if file_name and getattr(s, file_name) is not None and s.sources.get(file_name) == source:
        label = name.replace("_", " ")
        return f"The {label} in {getattr(s, file_name)} ({_where(_BY_NAME[file_name], source)})"
    return _where(_BY_NAME[name], source)


def cookie_key_is_strong(key: str) -> bool:
    """At least 32 characters and, by zxcvbn's estimate, at least 128 bits to guess."""
    if len(key) < COOKIE_KEY_MIN_CHARS:
        return False
    sample = key[:_STRENGTH_SAMPLE_CHARS]
    guesses_log10 = zxcvbn(sample, max_length=len(sample))["guesses_log10"]
    return guesses_log10 * math.log2(10) >= COOKIE_KEY_MIN_BITS


def _utf8_length(text: str) -> int | None:
    """Bytes in UTF-8; None for text that has none (bytes that were not UTF-8 in argv or
    the environment arrive as lone surrogates)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _first_given(option, parsed, env, file_values) -> tuple[object, str]:
    if parsed.get(option.name) is not None:
        return parsed[option.name], "flag"
    for name in (option.env_name, *("HM_" + a.upper().replace("-", "_") for a in option.aliases)):
        if env.get(name, "") != "":
            return env[name], "env"
    for key in (option.name, *option.aliases):
        if key in file_values:
            return file_values[key], "secrets"
    return None, "default"


def _read_secrets_files(paths: Sequence[Path]) -> dict[str, object]:
    merged: dict[str, object] = {}
    for path in paths:  # later files win, like Streamlit's own order
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"The secrets file {path} could not be read: {exc}.") from None
        # Only our own keys: the file may also hold unrelated Streamlit secrets.
        merged.update({k: v for k, v in data.items() if k.replace("-", "_") in _BY_NAME
                       or k in ("redis-url", "media-dir")})
    return merged


def _convert(option: Option, raw: object, source: str) -> object:
    where = {"flag": f"--{option.name}", "env": option.env_name,
             "secrets": f"'{option.name}' in secrets.toml"}.get(source, option.name)
    if option.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{where} must be true or false, not {raw!r}.")
    if option.kind in ("int", "float"):
        try:
            number = int(str(raw)) if option.kind == "int" else float(str(raw))
        except ValueError:
            raise SettingsError(f"{where} must be a number, not {raw!r}.") from None
        return number
    if option.kind == "list":
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(str(i).strip() for i in items if str(i).strip())
    if option.kind == "path":
        return Path(str(raw)).expanduser()
    text = str(raw).strip()
    return text or None


def validate(s: Settings) -> None:
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
    if s.par_ttl_hours <= 0:
        raise SettingsError("--par_ttl_hours must be more than 0.")
    if not 0 <= s.par_min_remaining_hours < s.par_ttl_hours:
        raise SettingsError("--par_min_remaining_hours must be at least 0 and less than "
                            "--par_ttl_hours.")
    if s.cache_ttl_seconds < 0:
        raise SettingsError("--cache_ttl_seconds must be 0 or more.")
    if s.page_size < 1:
        raise SettingsError("--page_size must be at least 1.")
    for proxy in s.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(f"--trusted_proxies: {proxy!r} is not an IP address or network.") \
                from None
    if s.password:
        size = _utf8_length(s.password)
        if size is None:
            raise SettingsError(f"{describe_source(s, 'password')} is not valid UTF-8 text.")
        if size > BCRYPT_MAX_BYTES:
            raise SettingsError(f"{describe_source(s, 'password')} is longer than "
                                f"{BCRYPT_MAX_BYTES} bytes (UTF-8); bcrypt, which checks it, "
                                f"ignores the rest: use a shorter one.")
    if s.cookie_key:
        if _utf8_length(s.cookie_key) is None:
            raise SettingsError(f"{describe_source(s, 'cookie_key')} is not valid UTF-8 text.")
        if not cookie_key_is_strong(s.cookie_key):
            raise SettingsError(f"{describe_source(s, 'cookie_key')} is too weak: a cookie key "
                                f"must be at least 32 random bytes; make one with "
                                f"`openssl rand -hex 32`.")
    if s.redis_url and "://" in s.redis_url:
        scheme = s.redis_url.split("://", 1)[0].lower()
        if scheme not in ("redis", "rediss"):
            raise SettingsError("--redis-url must start with redis:// or rediss://, or be a bare "
                                "host name.")
    if s.redis_url:
        try:  # what redis-py would otherwise raise at start-up, as a traceback
            parts = urlsplit(s.redis_url if "://" in s.redis_url else f"rediss://{s.redis_url}")
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            # Never the URL itself: it may hold the Redis password.
            raise SettingsError(f"{describe_source(s, 'redis_url')} is not a valid URL: check "
                                f"its host name and port.") from None
    if bool(s.username) != bool(s.password) and not s.secret:
        missing = "--password" if s.username else "--username"
        raise SettingsError(f"{missing} is missing: give both a user name and a password, or "
                            f"neither to use the demo user.")
