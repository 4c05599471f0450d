"""Fill settings from the OCI Vault secrets of one compartment (`--secret <OCID>`).

Secrets are looked up by name (`settings.vault_names()`: `users`, `username`, `password`,
`bucket`, `redis-url`, `cookie-key`), their base64 bundles decoded, and used only where no
flag, environment variable or secrets file gave a value. Only the bundles still needed
are read; `users` (a users file's text) stands in for `username` and `password`. This runs while settings are read, so any failure is one `SettingsError`
sentence naming what failed.
"""

from __future__ import annotations

import base64
import binascii

import oci

from .. import settings as settings_mod
from ..settings import Settings, SettingsError
from ..storage.base import StorageError
from .auth import OciAuth, load_auth
from .client import list_all
from .errors import call
from .policy import INTERACTIVE, CallPolicy

# Without these the app cannot start; the other Vault secrets are optional.
REQUIRED = ("username", "password", "bucket")


def fill_from_vault(settings: Settings, *, policy: CallPolicy = INTERACTIVE) -> Settings:
    compartment = (settings.secret or "").strip()
    if not compartment.startswith("ocid1."):
        raise SettingsError(
            f"--secret must be the OCID of a compartment (ocid1.compartment…), not {compartment!r}."
        )
    wanted = {
        name: field for name, field in _secret_names() if getattr(settings, field) in (None, "")
    }
    if not wanted:
        return settings
    try:
        auth = load_auth(settings)
        ids = _active_secrets(auth, settings, compartment, policy)
        _require(ids, wanted, compartment)
        reader = _client(auth, settings, policy, "Secrets")
        values = {
            field: _read_bundle(reader, name, ids[name])
            for name, field in wanted.items()
            if name in ids
        }
    except StorageError as exc:  # signing in, or an OCI call: a settings problem here
        raise SettingsError(str(exc)) from None
    return settings_mod.with_values(settings, values, "vault")


def _secret_names() -> list[tuple[str, str]]:
    """(Vault secret name, Settings field), the required ones first: they are read, and
    reported when they fail, in this order."""
    names = settings_mod.vault_names()
    order = [*REQUIRED, *(n for n in names if n not in REQUIRED)]
    return [(name, names[name]) for name in order if name in names]


def _active_secrets(
    auth: OciAuth, settings: Settings, compartment: str, policy: CallPolicy
) -> dict[str, str]:
    """Secret name -> OCID, the newest one when a name appears twice."""
    vaults = _client(auth, settings, policy, "Vault")
    summaries = call(
        f"Listing the Vault secrets of compartment {compartment} failed",
        lambda: list_all(vaults.list_secrets, compartment, lifecycle_state="ACTIVE"),
    )
    ordered = sorted(summaries, key=lambda s: (s.time_created is not None, s.time_created))
    known = settings_mod.vault_names()
    return {s.secret_name: s.id for s in ordered if s.secret_name in known}


def _client(auth: OciAuth, settings: Settings, policy: CallPolicy, service: str):
    """A Vault (list secrets) or Secrets (read bundles) client, at its endpoint flag's
    address if one was given."""
    client_class, flag = {
        "Vault": (oci.vault.VaultsClient, "vault_endpoint"),
        "Secrets": (oci.secrets.SecretsClient, "secrets_endpoint"),
    }[service]
    return auth.client(client_class, policy, getattr(settings, flag), service=service, flag=flag)


def _require(ids: dict[str, str], wanted: dict[str, str], compartment: str) -> None:
    # A Vault secret `users` (or a users file) stands in for `username` and `password`.
    has_users = "users" in ids or "users" not in wanted
    missing = [
        n
        for n in REQUIRED
        if n in wanted and n not in ids and not (has_users and n in ("username", "password"))
    ]
    if not missing:
        return
    names = ", ".join(f"'{n}'" for n in missing)
    several = len(missing) > 1
    raise SettingsError(
        f"The Vault of compartment {compartment} has no active "
        f"{'secrets' if several else 'secret'} named {names}, and no flag, environment "
        f"variable or secrets file gave {'them' if several else 'it'}."
    )


def _read_bundle(reader, name: str, secret_id: str) -> str:
    content = call(
        f"Reading the Vault secret '{name}' failed",
        lambda: reader.get_secret_bundle(secret_id).data.secret_bundle_content,
    )
    if getattr(content, "content_type", None) != "BASE64" or content.content is None:
        raise SettingsError(f"The Vault secret '{name}' is not a base64 secret bundle.")
    try:
        value = base64.b64decode(content.content, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError):
        raise SettingsError(
            f"The Vault secret '{name}' is not base64-encoded UTF-8 text."
        ) from None
    if not value:
        raise SettingsError(f"The Vault secret '{name}' is empty.")
    return value
