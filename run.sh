#!/usr/bin/env bash
# Run Home Movies. With no flags it serves a generated demo library; see README for flags.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
exec .venv/bin/python -m streamlit run Home.py -- "$@"
