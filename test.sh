#!/usr/bin/env bash
# Install everything the tests need (Debian peers, Python packages, hls.js), then run them all.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh --dev
# Four processes on two cores: most tests wait on a browser, a server or a worker, not the CPU.
# A test file stays in one process (--dist loadfile): its module-scoped servers start once.
# Arguments are passed through (e.g. `./test.sh tests/test_library.py -x -n 0`).
exec .venv/bin/python -m pytest -rs -n 4 --dist loadfile --durations=15 "$@"
