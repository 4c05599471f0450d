"""One house style, held by the tools: `ruff check` is clean and `ruff format` would change
nothing (see ruff.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUFF = [sys.executable, "-m", "ruff"]
PATHS = ["Home.py", "homemovies_core", "pages", "tests", "benchmarks"]


def test_ruff_check_is_clean():
    done = subprocess.run([*RUFF, "check", *PATHS], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_changes_nothing():
    done = subprocess.run(
        [*RUFF, "format", "--check", *PATHS], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
