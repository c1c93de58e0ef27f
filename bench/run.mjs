// Runs every benchmark and writes BENCHMARKS.md: each figure side by side with its baseline,
// as a ratio of medians of alternating runs. Usage: npm run bench [-- --quick]
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLEARED_ENV, ROOT, ensureKeyring } from './lib/harness.mjs';
import { section, summary } from './lib/report.mjs';
import * as audit from './audit.mjs';
import * as exec from './exec.mjs';
import * as kdf from './kdf.mjs';
import * as scale from './scale-v2.mjs';
import * as scan from './scan.mjs';
import * as sync from './sync.mjs';

ensureKeyring();
const quick = process.argv.includes('--quick');
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : join(ROOT, 'BENCHMARKS.md');
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
})();

const results = [];
const cleared = CLEARED_ENV.filter((k) => process.env[k] !== undefined);
process.stderr.write(`bench: the measured Node processes run without ${cleared.length ? cleared.join(', ') : `(unset here) ${CLEARED_ENV.join(', ')}`}\n`);
for (const [name, mod] of Object.entries({ exec, kdf, scale, audit, scan, sync })) {
  process.stderr.write(`bench: ${name}...\n`);
  const t0 = Date.now();
  results.push(await mod.run({ quick }));
  process.stderr.write(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}

const cpu = cpus();
const doc = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}, commit ${commit}: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}.`,
  `Measured Node processes run without ${CLEARED_ENV.join(' and ')} (${cleared.length ? `cleared here: ${cleared.join(', ')}` : 'neither was set'}); where valgrind is installed, instructions counted by callgrind stand beside wall times.`,
  'Machines are noisy: every figure is measured in the same run as its baseline, alternating, and the ratio of medians is the result; absolute times are context. Re-run to reproduce; each section also runs alone (`node bench/NAME.mjs`).',
  '',
  '## Targets',
  '',
  summary(results),
  '',
  ...results.flatMap((r) => [section(r), '']),
].join('\n');
writeFileSync(out, doc);
const missed = results.flatMap((r) => r.checks ?? []).filter((c) => !c.ok);
console.log(`wrote ${out}; ${missed.length ? `targets missed: ${missed.map((c) => c.what).join('; ')}` : 'every target met'}`);
