"""Signing in to OCI from a config file: every problem with the profile is one sentence."""

from __future__ import annotations

import pytest

from homemovies_core.oci.auth import load_auth
from homemovies_core.storage.base import StorageError
from tests.support.oci_env import oci_settings


def test_a_session_token_profile_without_its_key_file_is_one_sentence(tmp_path):
    # It used to end in a KeyError traceback at start-up.
    token = tmp_path / "token"
    token.write_text("a-security-token\n")
    config = tmp_path / "config"
    config.write_text(f"[DEFAULT]\nregion=us-ashburn-1\nsecurity_token_file={token}\n")
    with pytest.raises(StorageError) as refused:
        load_auth(oci_settings("http://127.0.0.1:1", config))
    assert str(refused.value) == f"Profile [DEFAULT] in {config} is not valid: key_file is missing."
