"""Where the `oci` CLI (a test peer, installed in .venv-cli by scripts/bootstrap.sh) is."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def find_oci_cli() -> str | None:
    candidates = [
        os.environ.get("HM_OCI_CLI"),
        str(Path(sys.executable).parent / "oci"),
        str(REPO / ".venv-cli" / "bin" / "oci"),
        shutil.which("oci"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)
