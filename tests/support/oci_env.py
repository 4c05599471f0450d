"""Helpers shared by the OCI backend tests: settings pointing the real SDK at the fake."""

from __future__ import annotations

from pathlib import Path

from homemovies_core import settings as settings_mod
from homemovies_core.oci.policy import CallPolicy

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
