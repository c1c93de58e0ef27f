#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, npm dependencies, build,
# type check, then every jest suite against a real Secret Service, then the adversarial suite
# at its CI size, then the unit tests and an end-to-end subset on Node 22 and 24. Ends with
# one line over all of them: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh || exit 1
# `npm ci`: exactly the lock (complete for every platform, so a fresh clone's install leaves it
# as it is), when node_modules is missing or older than the lock.
if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi
npm run --silent build || exit 1
npm run --silent typecheck || exit 1
mkdir -p .test-results
rm -f .test-results/jest.json
scripts/with-keyring.sh node_modules/.bin/jest --json --outputFile=.test-results/jest.json "$@"
rc=$?
node scripts/totals.mjs .test-results/jest.json --label main || rc=1
# The adversarial suite at its CI size, with its own summary line.
scripts/adversarial.sh || rc=1
# Node 22 and 24: the unit tests and an end-to-end subset (`npm run test:matrix`: everything).
scripts/test-matrix.sh --ci || rc=1
node scripts/totals.mjs .test-results/jest.json .test-results/adversarial.json .test-results/node22.json .test-results/node24.json || rc=1
exit $rc
