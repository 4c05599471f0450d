"""One frozen `Settings` object built from flags, environment, secrets files and the Vault.

Precedence, highest first: command-line flags (after `--` on `streamlit run`), environment
variables `HM_<NAME>`, keys in `.streamlit/secrets.toml`, then the OCI Vault (filled in
later through `with_values`, under the names `vault_names()` gives). Every problem a user
can cause ends as one `SettingsError` sentence; callers print it and exit non-zero.

- `model`: each setting declared once, as a `Settings` field with metadata
- `loader`: the parser, `load` and `load_parsed`, `with_values`
- `sources`: flags, `HM_*`, secrets.toml and secret files; naming where a value came from
- `checks`: the rules a whole `Settings` must meet
"""

from .checks import (
    BCRYPT_MAX_BYTES,
    COOKIE_KEY_MIN_BITS,
    COOKIE_KEY_MIN_CHARS,
    cookie_key_is_strong,
    validate,
)
from .loader import build_parser, default_secrets_files, load, load_parsed, with_values
from .model import OPTIONS, SECRET_FILES, Option, Settings, SettingsError, vault_names
from .sources import SECRET_FILE_MAX_BYTES, describe_source, read_secret_file

__all__ = [
    "BCRYPT_MAX_BYTES",
    "COOKIE_KEY_MIN_BITS",
    "COOKIE_KEY_MIN_CHARS",
    "OPTIONS",
    "SECRET_FILES",
    "SECRET_FILE_MAX_BYTES",
    "Option",
    "Settings",
    "SettingsError",
    "build_parser",
    "cookie_key_is_strong",
    "default_secrets_files",
    "describe_source",
    "load",
    "load_parsed",
    "read_secret_file",
    "validate",
    "vault_names",
    "with_values",
]
