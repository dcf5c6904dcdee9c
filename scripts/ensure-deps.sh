#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked when they are missing or older than package-lock.json.
# Sourced by start.sh and test.sh so that a fresh clone needs no separate set-up step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "ferry: installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
