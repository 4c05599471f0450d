"""Fill settings from the OCI Vault secrets of one compartment (`--secret <OCID>`).

Secrets are looked up by name (`username`, `password`, `bucket`, `redis-url`,
`cookie-key`), their base64 bundles decoded, and used only where no flag,
environment variable or secrets file gave a value. Only the bundles still needed
are read. Any failure is one `SettingsError` sentence naming what failed.
"""

from __future__ import annotations

import base64
import binascii

import oci

from . import settings as settings_mod
from .oci_auth import load_auth
from .oci_retry import INTERACTIVE, OCI_ERRORS, CallPolicy, describe_error, list_all
from .settings import Settings, SettingsError

# Vault secret name -> Settings field.
SECRET_FIELDS = {
    "username": "username",
    "password": "password",
    "bucket": "bucket",
    "redis-url": "redis_url",
    "cookie-key": "cookie_key",
}
REQUIRED = ("username", "password", "bucket")


def fill_from_vault(settings: Settings, *, policy: CallPolicy = INTERACTIVE) -> Settings:
    compartment = (settings.secret or "").strip()
    if not compartment.startswith("ocid1."):
        raise SettingsError(f"--secret must be the OCID of a compartment (ocid1.compartment…), "
                            f"not {compartment!r}.")
    wanted = {name: field for name, field in SECRET_FIELDS.items()
              if getattr(settings, field) in (None, "")}
    if not wanted:
        return settings
    auth = load_auth(settings)
    ids = _active_secrets(auth, settings, compartment, policy)
    missing = [name for name in REQUIRED if name in wanted and name not in ids]
    if missing:
        names = ", ".join(f"'{n}'" for n in missing)
        plural = "secrets" if len(missing) > 1 else "secret"
        raise SettingsError(f"The Vault of compartment {compartment} has no active {plural} "
                            f"named {names}, and no flag, environment variable or secrets file "
                            f"gave {'them' if len(missing) > 1 else 'it'}.")
    reader = _client(auth, oci.secrets.SecretsClient, settings.secrets_endpoint, policy,
                     "Secrets")
    values = {field: _read_bundle(reader, name, ids[name])
              for name, field in wanted.items() if name in ids}
    return settings_mod.with_values(settings, values, "vault")


def _active_secrets(auth, settings: Settings, compartment: str,
                    policy: CallPolicy) -> dict[str, str]:
    """Secret name -> OCID, the newest one when a name appears twice."""
    vaults = _client(auth, oci.vault.VaultsClient, settings.vault_endpoint, policy, "Vault")
    try:
        summaries = list_all(vaults.list_secrets, compartment, lifecycle_state="ACTIVE")
    except OCI_ERRORS as exc:
        raise SettingsError(f"Listing the Vault secrets of compartment {compartment} failed: "
                            f"{describe_error(exc)}.") from None
    ordered = sorted(summaries, key=lambda s: (s.time_created is not None, s.time_created))
    return {s.secret_name: s.id for s in ordered if s.secret_name in SECRET_FIELDS}


def _read_bundle(reader, name: str, secret_id: str) -> str:
    try:
        content = reader.get_secret_bundle(secret_id).data.secret_bundle_content
    except OCI_ERRORS as exc:
        raise SettingsError(f"Reading the Vault secret '{name}' failed: "
                            f"{describe_error(exc)}.") from None
    if getattr(content, "content_type", None) != "BASE64" or content.content is None:
        raise SettingsError(f"The Vault secret '{name}' is not a base64 secret bundle.")
    try:
        value = base64.b64decode(content.content, validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError):
        raise SettingsError(f"The Vault secret '{name}' is not base64-encoded UTF-8 text.") \
            from None
    if not value:
        raise SettingsError(f"The Vault secret '{name}' is empty.")
    return value


def _client(auth, client_class, endpoint: str | None, policy: CallPolicy, what: str):
    if not endpoint and not auth.region:
        raise SettingsError(f"No OCI region is known for the {what} service: add region= to "
                            f"the OCI config profile or give --{what.lower()}_endpoint.")
    try:
        return auth.client(client_class, policy, endpoint)
    except (oci.exceptions.ClientError, ValueError, TypeError) as exc:
        raise SettingsError(f"The OCI {what} client could not be set up "
                            f"({type(exc).__name__}).") from None
