// Concurrency through the real CLI: 16 processes each making 25 read-modify-write changes
// lose none of them, and a lock left by a writer killed while holding it is taken over.
import * as fs from 'node:fs';
import { CANARY } from '../helpers/canary';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { openVaultFile, size, timeLimit } from '../helpers/adversarial';

const WRITERS = 16;
const CHANGES = size(25, 250);

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  // Through the keychain, so the 400 runs measure locking rather than Argon2id.
  expect((await sb.vaultCmd(['keychain', 'enable'])).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

it(`${WRITERS} processes x ${CHANGES} read-modify-write changes: exactly ${WRITERS * CHANGES} applied`, async () => {
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let j = 0; j < CHANGES; j++) {
        const r = await sb.run(['add', `w${w}-${j}`, '--exchange', 'okx'], { input: OKX_JSON });
        if (r.code !== 0) failures.push(`w${w}-${j}: exit ${r.code}: ${r.stderr.trim()}`);
      }
    }),
  );
  expect(failures).toEqual([]);
  const doc = await openVaultFile(sb.vault, CANARY.vaultPassphrase);
  const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: CHANGES }, (__, j) => `w${w}-${j}`)).flat().sort();
  expect([...doc.entries.keys()].sort()).toEqual(expected);
  expect(fs.existsSync(`${sb.vault}.lock`)).toBe(false);
}, timeLimit(600_000));

it('a lock left by a writer killed while holding it is taken over at once', async () => {
  const lock = `${sb.vault}.lock`;
  let holder: number | undefined;
  for (let attempt = 0; attempt < 100 && holder === undefined; attempt++) {
    const { child, done } = sb.start(['add', `victim${attempt}`, '--exchange', 'okx'], { input: OKX_JSON });
    // Kill it the moment the lock file appears: it holds the lock from then until it saves.
    while (child.exitCode === null && !fs.existsSync(lock)) await new Promise((r) => setImmediate(r));
    child.kill('SIGKILL');
    await done;
    if (fs.existsSync(lock)) holder = child.pid;
  }
  expect(holder).toBeDefined();
  // The holder is gone, its lock file is not, and it names the dead holder: so the next
  // writer can tell at once that it is stale instead of waiting for it to age.
  expect(() => process.kill(holder!, 0)).toThrow();
  expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(holder);
  const r = await sb.run(['add', 'after-stale-lock', '--exchange', 'okx'], { input: OKX_JSON });
  expect(r.code).toBe(0);
  expect(fs.existsSync(lock)).toBe(false);
  expect((await openVaultFile(sb.vault, CANARY.vaultPassphrase)).entries.has('after-stale-lock')).toBe(true);
}, 120_000);
