"""Sign in to OCI: a config-file profile (API key or session token), instance principals
or resource principals; and SDK clients signed with that identity.

Every way of failing ends as one `StorageError` sentence that says what to fix (the Vault,
which runs while settings are read, turns it into a `SettingsError`).
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci

from ..settings import Settings
from ..storage.base import StorageError
from .policy import CallPolicy

DEFAULT_CONFIG_FILE = Path(oci.config.DEFAULT_LOCATION)  # ~/.oci/config, unexpanded


@dataclass(frozen=True)
class OciAuth:
    config: dict[str, Any]
    signer: Any  # None: the SDK signs with the config's API key
    region: str | None
    description: str  # for the `check` command: how we signed in (no secrets)

    def client(
        self, client_class, policy: CallPolicy, endpoint: str | None, *, service: str, flag: str
    ):
        """An SDK client of `client_class` with our policy, at `endpoint` if given (else the
        region's). `service` and `flag` name the service and its endpoint flag in errors."""
        if not endpoint and not self.region:
            raise StorageError(
                f"No OCI region is known for the {service} service: add region= to the OCI "
                f"config profile or give --{flag}."
            )
        kwargs = policy.client_kwargs()
        if self.signer is not None:
            kwargs["signer"] = self.signer
        if endpoint:
            kwargs["service_endpoint"] = endpoint.rstrip("/")
        try:
            return client_class(self.config, **kwargs)
        except (oci.exceptions.ClientError, ValueError, TypeError) as exc:
            raise StorageError(
                f"The OCI {service} client could not be set up ({type(exc).__name__})."
            ) from None


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
        raise StorageError(
            "Signing in with instance principals failed "
            f"({type(exc).__name__}): run on an OCI instance whose dynamic group may use "
            "the bucket, or use an OCI config file instead."
        ) from None
    return _signed_by(signer, "instance principals")


def _resource_principals() -> OciAuth:
    if not os.environ.get("OCI_RESOURCE_PRINCIPAL_VERSION"):
        raise StorageError(
            "Signing in with resource principals failed: "
            "OCI_RESOURCE_PRINCIPAL_VERSION is not set in the environment."
        )
    try:
        signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:
        raise StorageError(
            f"Signing in with resource principals failed ({type(exc).__name__}): check the "
            "OCI_RESOURCE_PRINCIPAL_* environment variables."
        ) from None
    return _signed_by(signer, "resource principals")


def _signed_by(signer, description: str) -> OciAuth:
    region = getattr(signer, "region", None)
    return OciAuth({"region": region} if region else {}, signer, region, description)


def _config_file(path: Path | None, profile: str) -> OciAuth:
    shown = str(path) if path is not None else str(DEFAULT_CONFIG_FILE)
    config = _read_profile(shown, profile)
    try:
        if config.get("security_token_file"):
            signer = _session_signer(config)
        else:
            oci.config.validate_config(config)
            signer = oci.signer.Signer.from_config(config)
    except oci.exceptions.InvalidConfig as exc:
        problems = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        detail = ", ".join(f"{k} is {v}" for k, v in sorted(problems.items())) or _short(exc)
        raise StorageError(f"Profile [{profile}] in {shown} is not valid: {detail}.") from None
    except KeyError as exc:  # a session-token profile without its key_file
        raise StorageError(
            f"Profile [{profile}] in {shown} is not valid: {exc.args[0]} is missing."
        ) from None
    except (oci.exceptions.ClientError, ValueError, OSError, TypeError) as exc:
        raise StorageError(
            f"The API key of profile [{profile}] in {shown} could not be loaded ({_short(exc)})."
        ) from None
    return OciAuth(config, signer, config.get("region"), f"config file {shown} [{profile}]")


def _read_profile(shown: str, profile: str) -> dict[str, Any]:
    location = Path(os.path.expanduser(shown))
    if not location.is_file():
        raise StorageError(
            f"The OCI config file {shown} does not exist: create it with `oci setup config`, "
            "give --oci_config, or use --instance_principal or --resource_principal."
        )
    try:
        return oci.config.from_file(str(location), profile)
    except oci.exceptions.ProfileNotFound:
        raise StorageError(
            f"The OCI config file {shown} has no profile [{profile}]; "
            "choose another with --oci_profile."
        ) from None
    except (oci.exceptions.ClientError, ValueError, OSError, configparser.Error) as exc:
        raise StorageError(
            f"The OCI config file {shown} could not be used ({_short(exc)})."
        ) from None


def _session_signer(config: dict[str, Any]):
    """`oci session authenticate` profiles: a security token plus its session key."""
    token = Path(os.path.expanduser(config["security_token_file"])).read_text().strip()
    key = oci.signer.load_private_key_from_file(config["key_file"], config.get("pass_phrase"))
    return oci.auth.signers.SecurityTokenSigner(token, key)


def _short(exc: BaseException) -> str:
    text = str(exc).split(". ")[0].strip().rstrip(".")
    return text[:200] if text else type(exc).__name__
