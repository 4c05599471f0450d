"""`python -m homemovies_core check`: one line per check, non-zero exit on any ✗."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from homemovies_core import check
from tests.fake_oci import FakeOCIModel, start_fake_oci
from tests.oci_env import BUCKET, NS
from tests.redis_server import start_redis, stop

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
    return ["--bucket", bucket, "--os_endpoint", server.endpoint,
            "--oci_config", str(config_path), *extra]


def test_everything_passes(server, config_path, redis_url):
    status, lines = _run(_argv(server, config_path, "--redis-url", redis_url))
    port = server.endpoint.rsplit(":", 1)[1]
    redis_host = redis_url.split("://")[1].split("/")[0]
    assert lines == [
        f"✓ Sign-in: config file {config_path} [DEFAULT], region us-ashburn-1",
        f"✓ Namespace: {NS} at 127.0.0.1:{port}",
        f"✓ Bucket: '{BUCKET}' lists 1 folder(s) and 1 file(s) at the top level",
        "✓ Playback links: a test PAR was issued and deleted",
        f"✓ Redis: {redis_host} answers",
    ]
    assert status == 0
    counts = server.model.counts
    assert counts["CreatePreauthenticatedRequest"] == 1
    assert counts["DeletePreauthenticatedRequest"] == 1
    assert server.model.pars(BUCKET) == []


def test_wrong_bucket_fails_with_exit_1(server, config_path):
    status, lines = _run(_argv(server, config_path, bucket="nope"))
    assert status == 1
    assert lines[2] == ("✗ Bucket: The bucket 'nope' does not exist in namespace 'fakens', or "
                        "this identity may not read it.")
    assert lines[-1] == "– Redis: not configured: the in-process cache is used"
    assert server.model.counts["CreatePreauthenticatedRequest"] == 0


def test_par_refused_and_redis_down_are_crosses(server, config_path, tmp_path):
    proc, url = start_redis(tmp_path / "redis")
    stop(proc)
    server.model.inject_fault("CreatePreauthenticatedRequest", status=403, count=None,
                              code="NotAllowed")
    status, lines = _run(_argv(server, config_path, "--redis-url", url))
    assert status == 1
    assert lines[3] == ("✗ Playback links: A playback link could not be made: this identity is "
                        "not allowed to do that (403 NotAllowed).")
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
    status, lines = _run(["--secret", compartment, "--vault_endpoint", server.endpoint,
                          "--secrets_endpoint", server.endpoint, "--os_endpoint",
                          server.endpoint, "--oci_config", str(config_path)])
    assert status == 0, lines
    assert lines[0] == f"✓ Vault: secrets read from compartment {compartment}"
    assert lines[3].startswith(f"✓ Bucket: '{BUCKET}'")


def test_command_line_entry_point(server, config_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HM_")}
    ok = subprocess.run([sys.executable, "-m", "homemovies_core", "check",
                         *_argv(server, config_path)], cwd=REPO, env=env,
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("✓") == 4 and "Traceback" not in ok.stderr
    bad = subprocess.run([sys.executable, "-m", "homemovies_core", "check",
                          *_argv(server, config_path, bucket="nope")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 1 and "✗ Bucket" in bad.stdout and "Traceback" not in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "homemovies_core", "frobnicate"], cwd=REPO,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert usage.returncode == 2 and "unknown command" in usage.stderr
