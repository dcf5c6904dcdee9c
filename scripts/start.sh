#!/usr/bin/env bash
# Runs Ferry: installs dependencies when needed, builds the bundles, starts the desktop app. Where the Electron
# binary is not installed and cannot be fetched (offline machines), or with FERRY_WEB=1, it says so in one line and
# serves the same console in web mode instead, printing the URL to open.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
node scripts/build.mjs >&2
if [ "${FERRY_WEB:-}" != 1 ]; then
  # require('electron') yields the binary's path, fetching it on first use where the network allows. Its path goes to
  # fd 3; the fetch's own output goes to a log so that an offline machine sees one line, not a stack trace.
  mkdir -p dist
  if electron_bin=$(node -e "require('fs').writeSync(3, require('electron'))" 3>&1 1>dist/electron-fetch.log 2>&1) \
    && [ -x "$electron_bin" ]; then
    exec "$electron_bin" . "$@"
  fi
  echo "ferry: the Electron binary is not installed here (details: dist/electron-fetch.log); serving the console in web mode instead." >&2
fi
FERRY_SKIP_BUILD=1 exec node scripts/web.mjs "$@"
