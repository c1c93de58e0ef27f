#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system packages, npm dependencies, build,
# type check, then every jest suite against a real Secret Service, then the adversarial suite
# at its CI size. Ends with one line over both: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh || exit 1
# `npm install`, not `npm ci`: the registry CI reaches lacks some other platforms' optional
# binaries (@swc/core-darwin-*, @unrs/resolver-binding-*), so the lock cannot list them and
# `npm ci` refuses it as out of sync. With the lock present, `npm install` installs exactly
# the locked versions and leaves the lock as it is.
if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund || exit 1
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
node scripts/totals.mjs .test-results/jest.json .test-results/adversarial.json || rc=1
exit $rc
