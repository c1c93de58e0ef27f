#!/usr/bin/env bash
# The adversarial suite (test/adversarial): crash loops, concurrency, fuzzing, tamper sweep,
# canary run. CI size by default (part of `npm test`); `--long` for the hours-long run
# (10,000 kills, 1,000,000 fuzz cases each). Needs the build; runs under a private Secret
# Service. Ends with its own line: "adversarial: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--long" ]; then
  export EXVAULT_ADVERSARIAL=long
  shift
fi
[ -f dist/cli.js ] || npm run --silent build || exit 1
mkdir -p .test-results
# Where the results go (scripts/test-matrix.sh runs it once per Node version).
out=${EXVAULT_ADVERSARIAL_RESULTS:-.test-results/adversarial.json}
rm -f "$out"
scripts/with-keyring.sh node_modules/.bin/jest --config jest.adversarial.config.cjs --json --outputFile="$out" "$@"
rc=$?
node scripts/totals.mjs "$out" --label adversarial || rc=1
exit $rc
