#!/usr/bin/env bash
# Runs every test Ferry has: type checks, unit tests, and the integration suite against the real lab (which the
# suite brings up and down itself, installing the lab's Debian packages when missing; that needs root).
# Ends with one plain summary line: "N passed, N failed" (skipped tests, if any, are counted on the line before).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

failed_steps=0
# The end-to-end tests drive Debian's Chromium (never a browser download). Install it when missing, as root.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  echo "== installing Debian's chromium for the end-to-end tests"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
    || failed_steps=$((failed_steps + 1))
fi
# The reports end-to-end test turns exported PDFs into PNG pages and text: pdftoppm and pdftotext (poppler-utils).
if ! command -v pdftoppm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== installing Debian's poppler-utils for the reports end-to-end test"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null; } \
    || failed_steps=$((failed_steps + 1))
fi
echo "== type check (node side, web side)"
npx tsc -p tsconfig.node.json || failed_steps=$((failed_steps + 1))
npx tsc -p tsconfig.web.json || failed_steps=$((failed_steps + 1))

echo "== lint"
npx eslint . || failed_steps=$((failed_steps + 1))

echo "== vitest (unit + integration)"
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
vitest_rc=$?

node - "$failed_steps" "$vitest_rc" <<'NODE'
const fs = require('node:fs');
const [steps, rc] = process.argv.slice(2).map(Number);
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(fs.readFileSync('test-results/vitest.json', 'utf8'));
  passed = r.numPassedTests; failed = r.numFailedTests; skipped = r.numPendingTests + r.numTodoTests;
  // A suite that fails to load (or a failing global setup) counts no test: count it as a failure.
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} catch { failed += 1; }
if (rc !== 0 && failed === 0) failed = 1;
failed += steps;
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
NODE
