// Storage durability and concurrency through the real CLI: concurrent writers lose nothing,
// and kill -9 at random moments never leaves a vault that does not open.
// EXVAULT_CRASH_RUNS sets the number of kills (CI size by default; the adversarial run uses more).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../../src/crypto/sodium';
import { parseDoc } from '../../src/domain/document';
import { decodeFile } from '../../src/format/header';
import { openBody, unwrapWithPassphrase } from '../../src/format/seal';
import { CLI, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

const CRASH_RUNS = Number(process.env.EXVAULT_CRASH_RUNS ?? 120);

let sb: Sandbox;
beforeAll(async () => {
  await ready();
  sb = new Sandbox();
  await sb.init();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

/** Entry names in a vault file, read in-process with the real format code. */
function namesIn(file: string): string[] {
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(file)));
  const doc = parseDoc(openBody(parsed, unwrapWithPassphrase(parsed, CANARY.vaultPassphrase)));
  return [...doc.entries.keys()].sort();
}

it('sixteen processes adding at once: every entry is kept', async () => {
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => sb.vaultCmd(['add', `c${String(i).padStart(2, '0')}`, '--exchange', 'okx'], { input: OKX_JSON })));
  expect(results.map((r) => r.code)).toEqual(Array(16).fill(0));
  expect(namesIn(sb.vault)).toEqual(Array.from({ length: 16 }, (_, i) => `c${String(i).padStart(2, '0')}`));
  expect(fs.existsSync(`${sb.vault}.lock`)).toBe(false);
}, 120_000);

it(`kill -9 at random moments during add (${CRASH_RUNS} kills): old or new state, never broken`, async () => {
  let before = namesIn(sb.vault);
  const outcomes = { old: 0, new: 0 };
  for (let i = 0; i < CRASH_RUNS; i++) {
    const name = `k${i}`;
    const child = spawn(process.execPath, [CLI, '--passphrase-file', sb.passFile, 'add', name, '--exchange', 'okx'], { env: sb.env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(OKX_JSON);
    const exited = new Promise((r) => child.on('exit', r));
    // Start-up dominates the first ~150 ms; spread the kills over the whole run.
    await new Promise((r) => setTimeout(r, 60 + Math.random() * 260));
    child.kill('SIGKILL');
    await exited;
    const after = namesIn(sb.vault);
    if (after.length === before.length) {
      expect(after).toEqual(before);
      outcomes.old++;
    } else {
      expect(after).toEqual([...before, name].sort());
      outcomes.new++;
    }
    // The backup is always a complete earlier vault.
    if (fs.existsSync(`${sb.vault}.bak`)) namesIn(`${sb.vault}.bak`);
    before = after;
  }
  // Both outcomes happened, so kills landed on both sides of the commit.
  expect(outcomes.old).toBeGreaterThan(0);
  expect(outcomes.new).toBeGreaterThan(0);
  // A later writer takes over any lock left by a killed one and clears its temp files.
  const r = await sb.vaultCmd(['add', 'after-crashes', '--exchange', 'okx'], { input: OKX_JSON });
  expect(r.code).toBe(0);
  expect(fs.readdirSync(path.dirname(sb.vault)).sort()).toEqual(['vault.exv', 'vault.exv.bak']);
  process.stderr.write(`crash loop: ${CRASH_RUNS} kills, ${outcomes.old} left the old state, ${outcomes.new} the new\n`);
}, 600_000);
