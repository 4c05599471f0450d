"""Reading the settings the way the app does: flags, HM_* variables, secrets.toml, then the
Vault. One module below `services`, so the commands (ingest, index, worker) and the job
queue's worker read settings exactly like the app without importing the app's services.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import settings as settings_mod
from .settings import Settings

APP_DIR = Path(__file__).resolve().parent.parent  # where the app's .streamlit/ lives


def load_settings(argv: list[str]) -> Settings:
    """The settings from the command line `argv`; see `load_parsed_settings`."""
    return load_parsed_settings(settings_mod.build_parser().parse_args(list(argv)))


def load_parsed_settings(parsed: argparse.Namespace) -> Settings:
    """The settings from flags parsed by the app's parser (or one built on it, as the
    commands do), in the app's precedence: flags, HM_* variables, secrets.toml, then the
    Vault. One function, so the app and every command read settings the same way."""
    files = settings_mod.default_secrets_files(APP_DIR)
    loaded = settings_mod.load_parsed(parsed, os.environ, files)
    if loaded.secret:
        # Imported only when asked for: it brings in the OCI SDK.
        from .oci.vault import fill_from_vault

        loaded = fill_from_vault(loaded)
    return loaded
