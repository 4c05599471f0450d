"""`python -m homemovies_core check`: one line per check, non-zero exit on any ✗."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from homemovies_core import check
from homemovies_core.redis_cache import RedisFacts
from tests.fake_oci import FakeOCIModel, start_fake_oci
from tests.support.oci_env import BUCKET, NS, vault_flags
from tests.support.redis6 import server_version, start_redis6
from tests.support.redis_server import start_redis, stop

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def server():
    model = FakeOCIModel(namespace=NS)
    model.create_bucket(BUCKET)
    model.put_object(BUCKET, "Holidays/beach.mp4", b"x")
    model.put_object(BUCKET, "Loose.mp4", b"y")
    with start_fake_oci(model) as running:
        yield running


@pytest.fixture
def redis_url(tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    yield url
    stop(proc)


def _run(argv):
    lines: list[str] = []
    return check.run(argv, out=lines.append), lines


def _argv(server, config_path, *extra, bucket=BUCKET):
    return [
        "--bucket",
        bucket,
        "--os_endpoint",
        server.endpoint,
        "--oci_config",
        str(config_path),
        *extra,
    ]


def test_everything_passes(server, config_path, redis_url):
    status, lines = _run(_argv(server, config_path, "--redis-url", redis_url))
    port = server.endpoint.rsplit(":", 1)[1]
    redis_host = redis_url.split("://")[1].split("/")[0]
    assert lines == [
        f"✓ Sign-in: config file {config_path} [DEFAULT], region us-ashburn-1",
        f"✓ Namespace: {NS} at 127.0.0.1:{port}",
        f"✓ Bucket: '{BUCKET}' lists 1 folder(s) and 1 file(s) at the top level",
        "✓ Playback links: a test PAR was issued and deleted",
        f"✓ Redis: {redis_host} answers (Redis {server_version(redis_url)})",
    ]
    assert status == 0
    counts = server.model.counts
    assert counts["CreatePreauthenticatedRequest"] == 1
    assert counts["DeletePreauthenticatedRequest"] == 1
    assert server.model.pars(BUCKET) == []


def test_wrong_bucket_fails_with_exit_1(server, config_path):
    status, lines = _run(_argv(server, config_path, bucket="nope"))
    assert status == 1
    assert lines[2] == (
        "✗ Bucket: The bucket 'nope' does not exist in namespace 'fakens', or "
        "this identity may not read it."
    )
    assert lines[-1] == "– Redis: not configured: the in-process cache is used"
    assert server.model.counts["CreatePreauthenticatedRequest"] == 0


def test_par_refused_and_redis_down_are_crosses(server, config_path, tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    stop(proc)
    server.model.inject_fault(
        "CreatePreauthenticatedRequest", status=403, count=None, code="NotAllowed"
    )
    status, lines = _run(_argv(server, config_path, "--redis-url", url))
    assert status == 1
    assert lines[3] == (
        "✗ Playback links: A playback link could not be made: this identity is "
        "not allowed to do that (403 NotAllowed)."
    )
    assert lines[4].startswith("✗ Redis: 127.0.0.1:") and "did not answer" in lines[4]


def test_settings_and_sign_in_failures(server, config_path, tmp_path):
    status, lines = _run(_argv(server, config_path, "--oci_profile", "NOPE"))
    assert status == 1
    assert lines[0].startswith("✗ Sign-in: The OCI config file") and "[NOPE]" in lines[0]
    status, lines = _run(["--bucket", BUCKET, "--oci_config", str(tmp_path / "none")])
    assert status == 1
    assert lines == [f"✗ Settings: The OCI config file {tmp_path / 'none'} does not exist."]


def test_check_reads_the_vault(server, config_path):
    compartment = "ocid1.compartment.oc1..family"
    for name, value in {"username": "mum", "password": "pw", "bucket": BUCKET}.items():
        server.model.add_secret(compartment, name, value)
    status, lines = _run(
        [
            *vault_flags(server.endpoint, config_path, compartment),
            "--os_endpoint",
            server.endpoint,
        ]
    )
    assert status == 0, lines
    assert lines[0] == f"✓ Vault: secrets read from compartment {compartment}"
    assert lines[3].startswith(f"✓ Bucket: '{BUCKET}'")


def _command(*argv: str) -> subprocess.CompletedProcess:
    """`python -m homemovies_core ARGV` as an operator runs it, without our test's HM_ vars."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HM_")}
    return subprocess.run(
        [sys.executable, "-m", "homemovies_core", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_line_entry_point(server, config_path):
    ok = _command("check", *_argv(server, config_path))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("✓") == 4 and "Traceback" not in ok.stderr
    bad = _command("check", *_argv(server, config_path, bucket="nope"))
    assert bad.returncode == 1 and "✗ Bucket" in bad.stdout and "Traceback" not in bad.stderr
    usage = _command("frobnicate")
    assert usage.returncode == 2 and "unknown command" in usage.stderr


def _admin(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, protocol=2, decode_responses=True)


def _redis_only(tmp_path, url):
    return _run(["--media_dir", str(tmp_path), "--redis-url", url])


def _host(url: str) -> str:
    return url.split("://")[1].split("/")[0]


def test_redis_version_is_reported_for_redis_6_too(tmp_path):
    proc, url = start_redis6(tmp_path / "redis6")
    try:
        status, lines = _redis_only(tmp_path, url)
    finally:
        stop(proc)
    assert status == 0
    assert lines[-1] == f"✓ Redis: {_host(url)} answers (Redis 6.2.14)"


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl"])
def test_an_evicting_policy_is_a_warning_not_a_failure(tmp_path, redis_url, policy):
    _admin(redis_url).config_set("maxmemory-policy", policy)
    status, lines = _redis_only(tmp_path, redis_url)
    assert status == 0
    assert lines[-2].startswith(f"✓ Redis: {_host(redis_url)} answers (Redis 7.")
    assert lines[-1] == (
        f"! Redis: maxmemory-policy is {policy}: when memory runs short Redis "
        "may evict share links, login sessions and login locks; set it to "
        "noeviction"
    )


def test_noeviction_adds_no_line(tmp_path, redis_url):
    assert _admin(redis_url).config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    status, lines = _redis_only(tmp_path, redis_url)
    assert status == 0 and lines[-1].startswith("✓ Redis:") and len(lines) == 2


def test_a_managed_redis_that_refuses_info_or_config(tmp_path, redis_url):
    admin = _admin(redis_url)
    admin.config_set("maxmemory-policy", "volatile-lru")
    admin.execute_command("ACL", "SETUSER", "default", "-info")  # the policy comes from CONFIG
    status, lines = _redis_only(tmp_path, redis_url)
    assert status == 0
    assert lines[-2:] == [
        f"✓ Redis: {_host(redis_url)} answers (it does not tell its version)",
        "! Redis: maxmemory-policy is volatile-lru: when memory runs short Redis may evict "
        "share links, login sessions and login locks; set it to noeviction",
    ]
    admin.execute_command("ACL", "SETUSER", "default", "-config")  # now neither is allowed
    status, lines = _redis_only(tmp_path, redis_url)
    assert status == 0
    assert lines[-1] == (
        "– Redis: the eviction policy (maxmemory-policy) could not be read; it should be noeviction"
    )


def test_never_prints_the_password_or_database(tmp_path, redis_url):
    _admin(redis_url).config_set("requirepass", "s3cret-pw")
    host = _host(redis_url)
    status, lines = _redis_only(tmp_path, f"redis://:s3cret-pw@{host}/7")
    assert status == 0 and lines[-1].startswith(f"✓ Redis: {host} answers (Redis 7.")
    status, wrong = _redis_only(tmp_path, f"redis://:wrong-pw@{host}/7")
    assert status == 1 and wrong[-1] == f"✗ Redis: {host} refused the password"
    assert not [line for line in lines + wrong if "pw" in line or "/7" in line]


def test_redis_older_than_5_fails_in_one_sentence():
    # No Redis 4 server can be installed here; the judgement is a pure function of the
    # version the server reports, so it is checked directly.
    assert check.judge_redis("h:6379", RedisFacts("4.0.14", "noeviction")) == [
        (check.FAIL, "h:6379 runs Redis 4.0.14; Home Movies needs Redis 5 or newer.")
    ]
    assert check.judge_redis("h:6379", RedisFacts("5.0.0", "noeviction")) == [
        (check.OK, "h:6379 answers (Redis 5.0.0)")
    ]
