"""Settings from OCI Vault secrets, through the real SDK against the fake Vault + Secrets."""

from __future__ import annotations

import pytest

from homemovies_core import settings as settings_mod
from homemovies_core.oci.auth import load_auth
from homemovies_core.oci.vault import fill_from_vault
from homemovies_core.settings import SettingsError
from homemovies_core.storage.base import StorageError
from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config
from tests.support.accounts import COOKIE_KEY
from tests.support.oci_env import QUICK, vault_flags

FAMILY = "ocid1.compartment.oc1..family"
SECRETS = {
    "username": "mum",
    "password": "s3cret!",
    "bucket": "movies",
    "redis-url": "rediss://cache.example:6379",
    "cookie-key": COOKIE_KEY,
}
# Another 32 random bytes (`openssl rand -base64 32`), for a key that is not the Vault's.
ENV_KEY = "x6Y0Xmxq8OaFpTZm/eXk/1HQOVYJOL0fd/A54/ZWrho="


@pytest.fixture(scope="module")
def config_path(tmp_path_factory):
    return write_oci_config(tmp_path_factory.mktemp("oci"))


@pytest.fixture
def server():
    with start_fake_oci(FakeOCIModel()) as running:
        yield running


def _load(server, config_path, *extra, compartment=FAMILY, env=None):
    argv = [
        *vault_flags(server.endpoint, config_path, compartment),
        *extra,
    ]
    return settings_mod.load(argv, env=env or {}, secrets_files=())


def _add(server, secrets=SECRETS, compartment=FAMILY):
    for name, value in secrets.items():
        server.model.add_secret(compartment, name, value)


def test_vault_fills_what_nothing_else_gave(server, config_path):
    _add(server)
    for i in range(120):  # more than one page of secrets
        server.model.add_secret(FAMILY, f"unrelated-{i}", "x")
    settings = fill_from_vault(_load(server, config_path), policy=QUICK)
    assert (settings.username, settings.password, settings.bucket) == ("mum", "s3cret!", "movies")
    assert settings.redis_url == "rediss://cache.example:6379"
    assert settings.cookie_key == COOKIE_KEY
    assert settings.sources["password"] == "vault"
    assert server.model.counts["ListSecrets"] == 2
    assert server.model.counts["GetSecretBundle"] == 5


def test_flags_and_environment_beat_the_vault(server, config_path):
    _add(server)
    loaded = _load(
        server,
        config_path,
        "--username",
        "dad",
        "--bucket",
        "other",
        env={"HM_COOKIE_KEY": ENV_KEY},
    )
    settings = fill_from_vault(loaded, policy=QUICK)
    assert (settings.username, settings.bucket, settings.cookie_key) == ("dad", "other", ENV_KEY)
    assert settings.sources["username"] == "flag" and settings.sources["cookie_key"] == "env"
    assert settings.password == "s3cret!" and settings.sources["password"] == "vault"
    # Only the bundles still needed were read.
    assert server.model.counts["GetSecretBundle"] == 2


def test_rotated_secret_gives_the_current_version(server, config_path):
    _add(server)
    server.model.add_secret(FAMILY, "password", "rotated")
    assert fill_from_vault(_load(server, config_path), policy=QUICK).password == "rotated"


def test_missing_required_secret_is_named(server, config_path):
    _add(server, {k: v for k, v in SECRETS.items() if k != "password"})
    server.model.add_secret(FAMILY, "bucket", "movies", lifecycle_state="PENDING_DELETION")
    with pytest.raises(SettingsError) as failed:
        fill_from_vault(_load(server, config_path), policy=QUICK)
    assert str(failed.value) == (
        f"The Vault of compartment {FAMILY} has no active secrets named 'password', 'bucket', "
        "and no flag, environment variable or secrets file gave them."
    )
    # Given by a flag, a missing secret is no problem; optional ones may be absent.
    _add(server, {"bucket": "movies"}, compartment="ocid1.compartment.oc1..other")
    settings = fill_from_vault(
        _load(
            server,
            config_path,
            "--username",
            "u",
            "--password",
            "p",
            compartment="ocid1.compartment.oc1..other",
        ),
        policy=QUICK,
    )
    assert settings.bucket == "movies" and settings.redis_url is None


def test_wrong_ocid_and_unreachable_vault_are_one_sentence(server, config_path):
    with pytest.raises(SettingsError) as unknown:
        fill_from_vault(
            _load(server, config_path, compartment="ocid1.compartment.oc1..nope"), policy=QUICK
        )
    assert str(unknown.value) == (
        "Listing the Vault secrets of compartment ocid1.compartment.oc1..nope failed: it does "
        "not exist or this identity may not read it (404 NotAuthorizedOrNotFound)."
    )
    with pytest.raises(SettingsError, match=r"--secret must be the OCID of a compartment"):
        fill_from_vault(_load(server, config_path, compartment="family"), policy=QUICK)

    _add(server)
    server.model.inject_fault("ListSecrets", status=401, count=None)
    with pytest.raises(SettingsError, match=r"failed: OCI refused the credentials \(401"):
        fill_from_vault(_load(server, config_path), policy=QUICK)
    server.model.clear_faults()
    server.model.inject_fault("GetSecretBundle", status=404, count=None)
    with pytest.raises(SettingsError, match=r"^Reading the Vault secret 'username' failed: it"):
        fill_from_vault(_load(server, config_path), policy=QUICK)

    dead = start_fake_oci()
    endpoint = dead.endpoint
    dead.stop()
    loaded = settings_mod.load(
        ["--secret", FAMILY, "--vault_endpoint", endpoint, "--oci_config", str(config_path)],
        env={},
        secrets_files=(),
    )
    with pytest.raises(SettingsError) as unreachable:
        fill_from_vault(loaded, policy=QUICK)
    assert str(unreachable.value) == (
        f"Listing the Vault secrets of compartment {FAMILY} failed: OCI could not be reached."
    )


@pytest.mark.parametrize(
    "name, value, sentence",
    [
        (
            "cookie-key",
            "k" * 32,
            "The Vault secret 'cookie-key' is too weak: a cookie key must be at "
            "least 32 random bytes; make one with `openssl rand -hex 32`.",
        ),
        (
            "password",
            "ö" * 40,
            "The Vault secret 'password' is longer than 72 bytes (UTF-8); "
            "bcrypt, which checks it, ignores the rest: use a shorter one.",
        ),
    ],
)
def test_a_weak_or_unusable_vault_secret_is_one_sentence(
    server, config_path, name, value, sentence
):
    _add(server, {**SECRETS, name: value})
    with pytest.raises(SettingsError) as refused:
        fill_from_vault(_load(server, config_path), policy=QUICK)
    assert str(refused.value) == sentence


def test_nothing_needed_means_no_calls(server, config_path):
    loaded = _load(
        server,
        config_path,
        "--username",
        "u",
        "--password",
        "p",
        "--bucket",
        "b",
        "--redis-url",
        "redis://x",
        "--cookie_key",
        COOKIE_KEY,
        env={"HM_USERS": "credentials: {usernames: {}}"},
    )
    assert fill_from_vault(loaded, policy=QUICK) == loaded
    assert server.model.counts["ListSecrets"] == 0


def test_a_config_file_that_is_not_ini_is_one_sentence(tmp_path):
    bogus = tmp_path / "config"
    bogus.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(StorageError, match="could not be used"):
        load_auth(settings_mod.load(["--bucket", "b", "--oci_config", str(bogus)], {}, []))
    # Signing in for the Vault happens while settings are read: a settings error there.
    loaded = settings_mod.load(["--secret", FAMILY, "--oci_config", str(bogus)], {}, [])
    with pytest.raises(SettingsError, match="could not be used"):
        fill_from_vault(loaded, policy=QUICK)
