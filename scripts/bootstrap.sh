#!/usr/bin/env bash
# Install what the app (and, with --dev, the test suite) needs on a fresh Debian machine:
# a virtualenv in .venv, the Python packages, hls.js from the npm registry, and for --dev
# the test peers chromium (and its headless shell), redis-server, ffmpeg, haproxy and prometheus (with promtool) from
# Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1

if (( dev )); then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)  # the benchmarks'
  [[ -x /usr/bin/chromium-headless-shell ]] || missing+=(chromium-headless-shell)  # the tests'
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v ffprobe >/dev/null || missing+=(ffmpeg)
  [[ -x /usr/sbin/haproxy ]] || command -v haproxy >/dev/null || missing+=(haproxy)
  [[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || missing+=(prometheus)
  if (( ${#missing[@]} )); then
    echo "bootstrap: installing ${missing[*]} from Debian" >&2
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
requirements=requirements.txt; (( dev )) && requirements=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)-$dev
if [[ ! -f $stamp ]]; then
  .venv/bin/pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

if (( dev )) && [[ ! -x .venv-cli/bin/oci ]]; then
  # The oci CLI is a test peer (ingest is cross-checked against `oci os object bulk-upload`).
  # It pins exact versions of its dependencies, so it lives in a venv of its own.
  "$python" -m venv .venv-cli
  .venv-cli/bin/pip install -q --disable-pip-version-check "oci-cli>=3.50"
fi

if [[ ! -f node_modules/hls.js/dist/hls.min.js || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
