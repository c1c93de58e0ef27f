// Hints must be safe to follow: never chmod a folder the system shares (/tmp), and name the
// option that actually gives what is missing (passwd's new passphrase).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAST_KDF, Sandbox } from '../helpers/cli';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

it('a vault directly in /tmp is refused with a hint to use a folder of its own, not to chmod /tmp', async () => {
  const v = path.join('/tmp', `exvault-hint-${process.pid}.exv`);
  try {
    for (const args of [['init', ...FAST_KDF]]) {
      const r = await sb.vaultCmd(['--vault', v, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^vault: error: the vault's folder \/tmp is writable by other users/m);
      expect(r.stderr).not.toMatch(/chmod \S+ \/tmp/);
      expect(r.stderr).toMatch(/vault: hint: keep the vault in a folder of its own/);
    }
  } finally {
    fs.rmSync(v, { force: true });
  }
}, 120_000);

it('a vault in a sticky folder of the user gets the same hint', async () => {
  const shared = path.join(sb.root, 'tmp', 'drop');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o1777);
  const r = await sb.vaultCmd(['--vault', path.join(shared, 'v.exv'), 'init', ...FAST_KDF]);
  expect(r.code).toBe(2);
  expect(r.stderr).not.toContain('chmod 700');
  expect(r.stderr).toMatch(/vault: hint: keep the vault in a folder of its own/);
}, 120_000);

it('a private folder of the user still gets the chmod hint', async () => {
  const mine = path.join(sb.root, 'tmp', 'mine');
  fs.mkdirSync(mine);
  fs.chmodSync(mine, 0o770);
  const r = await sb.vaultCmd(['--vault', path.join(mine, 'v.exv'), 'init', ...FAST_KDF]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`vault: hint: fix it with: chmod 700 ${mine}`);
}, 120_000);

it('passwd without a terminal names the options for the new passphrase', async () => {
  const r = await sb.vaultCmd(['passwd']);
  expect(r.code).toBe(7);
  expect(r.stderr).toContain('--new-passphrase-file PATH or --new-passphrase-fd N');
}, 120_000);
