"""Helpers shared by the OCI backend tests: settings pointing the real SDK at the fake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from homemovies_core import settings as settings_mod
from homemovies_core.oci.policy import CallPolicy
from tests.fake_oci import start_fake_oci, write_oci_config
from tests.support.accounts import family_login

NS = "fakens"
BUCKET = "movies"

# For tests that do not measure retries: same shape as INTERACTIVE, tiny sleeps.
QUICK = CallPolicy(
    connect_timeout=2,
    read_timeout=3,
    max_attempts=3,
    total_seconds=4,
    base_sleep=0.01,
    max_sleep=0.02,
)


def oci_settings(
    endpoint: str, config: Path | None, *extra: str, bucket: str | None = BUCKET
) -> settings_mod.Settings:
    argv = ["--os_endpoint", endpoint]
    if bucket:
        argv += ["--bucket", bucket]
    if config is not None:
        argv += ["--oci_config", str(config)]
    return settings_mod.load([*argv, *extra], env={}, secrets_files=())


@contextmanager
def library_in_a_bucket(library: Path, config_dir: Path, bucket: str) -> Iterator[tuple]:
    """A fake OCI server whose `bucket` holds every file of `library`, and an OCI config file
    for the real SDK: `(server, config_path)`."""
    with start_fake_oci() as server:
        server.model.create_bucket(bucket)
        for path in sorted(library.rglob("*")):
            if path.is_file():
                name = path.relative_to(library).as_posix()
                server.model.put_object(bucket, name, path.read_bytes())
        yield server, write_oci_config(config_dir)


def oci_app(endpoint: str, config: Path, bucket: str, *extra: str) -> list[str]:
    """The flags for the app over `bucket` on the (fake) OCI endpoint with the family login."""
    return [
        "--bucket",
        bucket,
        "--os_endpoint",
        endpoint,
        "--oci_config",
        str(config),
        *family_login(*extra),
    ]


def vault_flags(endpoint: str, config: Path, secret: str) -> list[str]:
    """The flags that make the app read its secrets from `secret` (a compartment or vault
    OCID) through the (fake) OCI endpoint."""
    return [
        "--secret",
        secret,
        "--vault_endpoint",
        endpoint,
        "--secrets_endpoint",
        endpoint,
        "--oci_config",
        str(config),
    ]
