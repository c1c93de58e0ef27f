// Prints jest's totals as the one plain line CI reads: "N passed, N failed", summed over the
// result files given. A missing or unreadable file, or a suite that failed to load, counts as
// a failure, so a run that tested nothing cannot pass silently.
// Usage: node scripts/totals.mjs RESULT.json... [--label TEXT]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const at = args.indexOf('--label');
const label = at >= 0 ? `${args.splice(at, 2)[1]}: ` : '';
let passed = 0;
let failed = 0;
for (const file of args) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  } catch {
    failed += 1;
  }
}
console.log(`${label}${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
