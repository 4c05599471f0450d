#!/usr/bin/env bash
# Run Home Movies. With no flags it serves a generated demo library; see README for flags.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
# uvicorn's own setting: believe X-Forwarded-* from nobody; the app reads them itself, from
# --trusted_proxies only (homemovies_core/web/proxy_headers.py covers a bare `streamlit run`).
export FORWARDED_ALLOW_IPS=""
exec .venv/bin/python -m streamlit run Home.py -- "$@"
