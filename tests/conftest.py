"""Shared fixtures: a generated library with awkward names, the app started for real, Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fake_oci import FakeOCIModel, start_fake_oci, write_oci_config
from tests.support.accounts import built_services, local_app
from tests.support.browser import HEADLESS_SHELL, chromium, serving_app
from tests.support.media import make_library
from tests.support.oci_env import BUCKET, NS


def pytest_collection_modifyitems(config, items):
    # In CI nothing may be skipped for want of a peer: make sure the peers exist at all.
    if os.environ.get("CI"):
        peers = (
            HEADLESS_SHELL,
            "/usr/sbin/haproxy",
            "/usr/bin/prometheus",
            "/usr/bin/promtool",
        )
        missing = [p for p in peers if not Path(p).exists()]
        missing += [b for b in ("redis-server",) if shutil.which(b) is None]
        if missing:
            raise pytest.UsageError(f"CI needs these test peers installed: {', '.join(missing)}")


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory) -> Path:
    return make_library(tmp_path_factory.mktemp("library"))


@pytest.fixture(scope="session")
def app_url(library_dir):
    """The real app (`streamlit run Home.py`) on a free port, serving the generated library."""
    # Loopback is "the proxy", so tests can play clients at other addresses.
    with serving_app(
        local_app(library_dir, "--page_size", "24", "--trusted_proxies", "127.0.0.1")
    ) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with chromium(HEADLESS_SHELL) as b:
        yield b


@pytest.fixture(scope="module")
def config_path(tmp_path_factory) -> Path:
    """An OCI config file (with a freshly generated key) that the fake server accepts."""
    return write_oci_config(tmp_path_factory.mktemp("oci"))


@pytest.fixture
def server():
    """A fake OCI server on loopback with one empty bucket, BUCKET in namespace NS."""
    model = FakeOCIModel(namespace=NS)
    model.create_bucket(BUCKET)
    with start_fake_oci(model) as running:
        yield running


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    """The app's services on a generated library, installed for AppTest page runs."""
    from homemovies_core import services

    lib = make_library(tmp_path_factory.mktemp("pages-lib"))
    built = built_services(lib, username="Mum")
    services.install(built)
    yield built
    services.install(None)


# A busy 2-core machine starts a Streamlit run in well over Playwright's default 5 s now and
# then; assertions wait for what a person would wait for, never retry a click.
expect.set_options(timeout=20_000)
