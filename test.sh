#!/usr/bin/env bash
# Install everything the tests need (Debian peers, Python packages, hls.js), then run them all.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh --dev
exec .venv/bin/python -m pytest -rs "$@"
