"""Every setting, declared once: a field of `Settings` whose metadata says how a user gives it.

A field `page_size` is the flag `--page_size`, the variable `HM_PAGE_SIZE` and the key
`page_size` in secrets.toml; its type decides how text is converted. The parser, the
lookups, the Vault names and the repr are all derived from these fields (`OPTIONS`), so a
new setting is one field here, plus a check in `checks.py` if it needs one.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = [
    "BY_NAME",
    "OPTIONS",
    "SECRET_FILES",
    "Option",
    "Settings",
    "SettingsError",
    "vault_names",
]

_META = "home_movies"  # the key of our metadata in a dataclass field


class SettingsError(Exception):
    """A configuration problem, worded for the person who made it."""


def setting(
    help: str,
    default: object = None,
    *,
    aliases: tuple[str, ...] = (),
    secret: bool = False,
    vault: bool = False,
    file: str | None = None,
    whole_file: bool = False,
):
    """A `Settings` field. `secret`: never echo the value; `vault`: the Vault may give it (as
    the secret named like the field, with '-' for '_'); `file`: the setting naming a file
    whose first line holds this one (so it shows neither in `ps` nor in `docker inspect`);
    `whole_file`: that file holds all of it, not just its first line."""
    meta = {
        "help": help,
        "aliases": aliases,
        "secret": secret,
        "vault": vault,
        "file": file,
        "whole_file": whole_file,
    }
    return field(default=default, metadata={_META: meta})


@dataclass(frozen=True)
class Settings:
    bucket: str | None = setting("OCI Object Storage bucket with foldered videos", vault=True)
    os_endpoint: str | None = setting("Object Storage endpoint (default: the region's own)")
    username: str | None = setting("login user name (default: demo)", vault=True)
    password: str | None = setting(
        "login password (default: a random one printed at start-up); prefer --password_file or "
        "HM_PASSWORD, which `ps` does not show",
        secret=True,
        vault=True,
        file="password_file",
    )
    password_file: Path | None = setting(
        "file whose first line is the login password (or HM_PASSWORD_FILE), e.g. a Docker or "
        "Kubernetes secret: neither `ps` nor `docker inspect` shows it"
    )
    users_file: Path | None = setting(
        "a login per family member: a credentials file in streamlit-authenticator's YAML format, "
        "bcrypt hashes only, which `python -m homemovies_core users add NAME --users_file FILE` "
        "writes; --username/--password, if given too, add one more"
    )
    users: str | None = setting(
        "the text of a users file (see --users_file), e.g. from the Vault secret 'users'",
        secret=True,
        vault=True,
        file="users_file",
        whole_file=True,
    )
    secret: str | None = setting(
        "OCID of a compartment whose Vault holds the secrets username, password, users, bucket, "
        "redis-url and cookie-key"
    )
    redis_url: str | None = setting(
        "Redis for the shared cache: redis://, rediss:// or a bare OCI Cache host name (TLS on port "
        "6379)",
        aliases=("redis-url",),
        secret=True,
        vault=True,
    )
    redis_insecure_tls: bool = setting(
        "do not verify the Redis server's TLS certificate", default=False
    )
    redis_plaintext_ok: bool = setting(
        "the network to a redis:// Redis is private to this app (e.g. a Compose network): do not "
        "warn that it is unencrypted",
        default=False,
    )
    local_cache: bool = setting(
        "use the in-process cache even if a Redis URL is configured", default=False
    )
    instance_principal: bool = setting("sign in to OCI with instance principals", default=False)
    resource_principal: bool = setting("sign in to OCI with resource principals", default=False)
    oci_config: Path | None = setting("OCI config file (default ~/.oci/config)")
    oci_profile: str = setting("profile in the OCI config file", default="DEFAULT")
    vault_endpoint: str | None = setting("override the OCI Vault endpoint")
    secrets_endpoint: str | None = setting("override the OCI Secrets endpoint")
    media_dir: Path | None = setting(
        "serve a local folder of videos instead of a bucket", aliases=("media-dir",)
    )
    demo_dir: Path | None = setting(
        "where the generated demo library lives (when no bucket or media_dir)"
    )
    cookie_key: str | None = setting(
        "key that signs login cookies and playback URLs; share it between replicas; at least 32 "
        "random bytes, e.g. from `openssl rand -hex 32`; prefer --cookie_key_file or HM_COOKIE_KEY, "
        "which `ps` does not show",
        secret=True,
        vault=True,
        file="cookie_key_file",
    )
    cookie_key_file: Path | None = setting(
        "file whose first line is the cookie key (or HM_COOKIE_KEY_FILE)"
    )
    par_ttl_hours: float = setting("lifetime of a playback URL in hours", default=6.0)
    par_min_remaining_hours: float = setting(
        "reissue a playback URL when less than this is left", default=3.0
    )
    cache_ttl_seconds: int = setting("how long folder listings are cached", default=60)
    trusted_proxies: tuple[str, ...] = setting(
        "comma-separated addresses or networks whose X-Forwarded-For is believed", default=()
    )
    page_size: int = setting("video cards drawn per page of a folder", default=24)
    log_format: str = setting(
        "how log lines are written: 'text' for people, 'json' (one object per line) for a log "
        "collector",
        default="text",
    )
    metrics_token: str | None = setting(
        "the bearer token that GET /metrics requires (off without one); prefer "
        "--metrics_token_file or HM_METRICS_TOKEN, which `ps` does not show",
        secret=True,
        file="metrics_token_file",
    )
    metrics_token_file: Path | None = setting(
        "file whose first line is the token GET /metrics requires, e.g. the file Prometheus "
        "reads with `credentials_file`; without it (or --metrics_token) /metrics is off"
    )
    uploads_dir: Path | None = setting(
        "where partial uploads wait (DIR/partial) and, when the media folder is read-only, where "
        "new movies go (DIR/library/<folder>/, listed together with the media folder)"
    )
    max_upload_gb: float = setting("the largest video one upload may be, in GB", default=20.0)
    no_uploads: bool = setting("turn adding videos from the browser off", default=False)
    uploaders: tuple[str, ...] = setting(
        "comma-separated user names who may add videos (default: everyone who can log in)",
        default=(),
    )
    metrics_port: int | None = setting(
        "the worker command: serve its Prometheus figures on this port (no login; default: "
        "not served)"
    )
    metrics_host: str = setting(
        "the worker command: the address its figures are served on; 0.0.0.0 is every "
        "interface, for a network private to Prometheus",
        default="127.0.0.1",
    )
    idle_login_minutes: float = setting(
        "close the connection of a page nobody is logged in on after this many minutes "
        "without a word from its browser (it reconnects when used again)",
        default=10.0,
    )
    # Which source gave each value ("flag", "env", "secrets", "vault"); not a setting itself.
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
            o.name: "***" if o.secret and getattr(self, o.name) else getattr(self, o.name)
            for o in OPTIONS
        }
        return f"Settings({shown})"


@dataclass(frozen=True)
class Option:
    """One setting as the user gives it, derived from its `Settings` field."""

    name: str  # flag `--name`, env `HM_NAME`, secrets key `name`
    help: str
    kind: str = "str"  # str | bool | int | float | list | path, from the field's type
    default: object = None
    aliases: tuple[str, ...] = ()
    secret: bool = False
    vault: bool = False
    file: str | None = None
    whole_file: bool = False

    @property
    def env_name(self) -> str:
        return "HM_" + self.name.upper().replace("-", "_")

    @property
    def vault_name(self) -> str:
        return self.name.replace("_", "-")


_KINDS = {
    str: "str",
    bool: "bool",
    int: "int",
    float: "float",
    Path: "path",
    tuple[str, ...]: "list",
}


def _kind(annotation: object) -> str:
    if isinstance(annotation, types.UnionType):  # `X | None`: None means "not given"
        (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
    return _KINDS[annotation]


def _options() -> tuple[Option, ...]:
    hints = typing.get_type_hints(Settings)
    return tuple(
        Option(f.name, kind=_kind(hints[f.name]), default=f.default, **f.metadata[_META])
        for f in fields(Settings)
        if _META in f.metadata
    )


OPTIONS: tuple[Option, ...] = _options()
BY_NAME = {o.name: o for o in OPTIONS}
# A secret -> the option naming a file that holds it.
SECRET_FILES = {o.name: o.file for o in OPTIONS if o.file}


def vault_names() -> dict[str, str]:
    """Vault secret name -> `Settings` field, for every setting the Vault may give."""
    return {o.vault_name: o.name for o in OPTIONS if o.vault}
