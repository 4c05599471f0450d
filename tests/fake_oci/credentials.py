"""Credentials the real ``oci`` SDK accepts, for talking to the fake server.

Nothing here is checked cryptographically by the fake; the point is that the SDK's own
validation and signing code runs exactly as it would against OCI.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FAKE_TENANCY = "ocid1.tenancy.oc1..aaaaaaaafaketenancy"
FAKE_USER = "ocid1.user.oc1..aaaaaaaafakeuser"
FAKE_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaafakecompartment"


def _write_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def _fingerprint(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def write_oci_config(
    directory: str | Path, endpoint_region: str = "us-ashburn-1", profile: str = "DEFAULT"
) -> Path:
    """Write ``config`` and an API key into ``directory``; return the config file's path.

    ``oci.config.from_file(path, profile)`` and ``oci.config.validate_config`` accept it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / "oci_api_key.pem"
    key = _write_private_key(key_path)
    config_path = directory / "config"
    config_path.write_text(
        f"[{profile}]\n"
        f"user={FAKE_USER}\n"
        f"fingerprint={_fingerprint(key)}\n"
        f"tenancy={FAKE_TENANCY}\n"
        f"region={endpoint_region}\n"
        f"key_file={key_path}\n"
    )
    return config_path


def mint_resource_principal_env(
    directory: str | Path, region: str = "us-ashburn-1"
) -> dict[str, str]:
    """Environment variables for resource principals v2.2 (RPST inline, private key as a path).

    The RPST is a JWT carrying ``res_tenant`` and ``res_compartment``; the SDK decodes it
    without verifying its signature, so a self-signed token is enough.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / "rp_session_key.pem"
    key = _write_private_key(key_path)
    now = int(time.time())
    claims = {
        "sub": "ocid1.fnfunc.oc1.iad.fakefunction",
        "iss": "authService.oracle.com",
        "aud": "oci",
        "iat": now,
        "exp": now + 10 * 365 * 24 * 3600,
        "jti": secrets.token_hex(16),
        "ptype": "resource",
        "res_type": "fnfunc",
        "res_id": "ocid1.fnfunc.oc1.iad.fakefunction",
        "res_tenant": FAKE_TENANCY,
        "res_compartment": FAKE_COMPARTMENT,
        "tenant": FAKE_TENANCY,
    }
    rpst = jwt.encode(claims, key, algorithm="RS256")
    return {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": rpst,
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": str(key_path.resolve()),
        "OCI_RESOURCE_PRINCIPAL_REGION": region,
    }
