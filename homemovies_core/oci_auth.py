"""Sign in to OCI: a config-file profile, instance principals or resource principals.

Every way of failing ends as one `SettingsError` sentence that says what to fix.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci

from .oci_retry import CallPolicy, make_client
from .settings import Settings, SettingsError

DEFAULT_CONFIG_FILE = Path(oci.config.DEFAULT_LOCATION)  # ~/.oci/config, unexpanded


@dataclass(frozen=True)
class OciAuth:
    config: dict[str, Any]
    signer: Any  # None: the SDK signs with the config's API key
    region: str | None
    description: str  # for the `check` command: how we signed in (no secrets)

    def client(self, client_class, policy: CallPolicy, endpoint: str | None = None):
        return make_client(client_class, self.config, self.signer, policy, endpoint)


def load_auth(settings: Settings) -> OciAuth:
    if settings.instance_principal:
        return _instance_principals()
    if settings.resource_principal:
        return _resource_principals()
    return _config_file(settings.oci_config, settings.oci_profile or "DEFAULT")


def _instance_principals() -> OciAuth:
    try:
        signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
    except Exception as exc:
        raise SettingsError(
            "Signing in with instance principals failed "
            f"({type(exc).__name__}): run on an OCI instance whose dynamic group may use "
            "the bucket, or use an OCI config file instead.") from None
    region = getattr(signer, "region", None)
    return OciAuth({"region": region} if region else {}, signer, region, "instance principals")


def _resource_principals() -> OciAuth:
    if not os.environ.get("OCI_RESOURCE_PRINCIPAL_VERSION"):
        raise SettingsError("Signing in with resource principals failed: "
                            "OCI_RESOURCE_PRINCIPAL_VERSION is not set in the environment.")
    try:
        signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:
        raise SettingsError(
            f"Signing in with resource principals failed ({type(exc).__name__}): check the "
            "OCI_RESOURCE_PRINCIPAL_* environment variables.") from None
    region = getattr(signer, "region", None)
    return OciAuth({"region": region} if region else {}, signer, region, "resource principals")


def _config_file(path: Path | None, profile: str) -> OciAuth:
    shown = str(path) if path is not None else str(DEFAULT_CONFIG_FILE)
    location = Path(os.path.expanduser(shown))
    if not location.is_file():
        raise SettingsError(
            f"The OCI config file {shown} does not exist: create it with `oci setup config`, "
            "give --oci_config, or use --instance_principal or --resource_principal.")
    try:
        config = oci.config.from_file(str(location), profile)
    except oci.exceptions.ProfileNotFound:
        raise SettingsError(f"The OCI config file {shown} has no profile [{profile}]; "
                            "choose another with --oci_profile.") from None
    except (oci.exceptions.ClientError, ValueError, OSError, configparser.Error) as exc:
        raise SettingsError(f"The OCI config file {shown} could not be used "
                            f"({_short(exc)}).") from None
    try:
        if config.get("security_token_file"):
            signer = _session_signer(config)
        else:
            oci.config.validate_config(config)
            signer = oci.signer.Signer.from_config(config)
    except oci.exceptions.InvalidConfig as exc:
        problems = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        detail = ", ".join(f"{k} is {v}" for k, v in sorted(problems.items())) or _short(exc)
        raise SettingsError(f"Profile [{profile}] in {shown} is not valid: {detail}.") from None
    except (oci.exceptions.ClientError, ValueError, OSError, TypeError) as exc:
        raise SettingsError(f"The API key of profile [{profile}] in {shown} could not be "
                            f"loaded ({_short(exc)}).") from None
    return OciAuth(config, signer, config.get("region"), f"config file {shown} [{profile}]")


def _session_signer(config: dict[str, Any]):
    """`oci session authenticate` profiles: a security token plus its session key."""
    token = Path(os.path.expanduser(config["security_token_file"])).read_text().strip()
    key = oci.signer.load_private_key_from_file(config["key_file"], config.get("pass_phrase"))
    return oci.auth.signers.SecurityTokenSigner(token, key)


def _short(exc: BaseException) -> str:
    text = str(exc).split(". ")[0].strip().rstrip(".")
    return text[:200] if text else type(exc).__name__
