#!/usr/bin/env bash
# Runs Ferry: installs dependencies when needed, builds the bundles, starts the desktop app.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
node scripts/build.mjs >&2
if electron_bin=$(node -e "process.stdout.write(require('electron'))" 2>/dev/null) && [ -x "$electron_bin" ]; then
  exec "$electron_bin" . "$@"
fi
echo "ferry: the Electron binary is not installed on this machine (it is downloaded on first use where the network allows; offline, copy an Electron 45 build and set ELECTRON_OVERRIDE_DIST_PATH)." >&2
exit 1
