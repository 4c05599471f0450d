#!/usr/bin/env bash
# Refresh the README's pictures in docs/screenshots from the browser tests (the test suite
# itself writes its screenshots to build/screenshots, never into tracked files).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev
HM_SCREENSHOTS_DIR=docs/screenshots exec .venv/bin/python -m pytest -q \
  tests/test_e2e_local.py -k login_browse_play
