// vault doctor as a use case: 0 unless a check fails (warnings alone do not), 1 when one does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDoctor } from '../../../src/app/doctor';
import { EXIT } from '../../../src/errors';
import { MemoryVaultStore, testVault, TestVault } from './fakes';

let v: TestVault;
afterEach(() => v.cleanup());

const byName = (checks: { name: string; status: string }[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

it('0 for a sound vault, with the weak KDF a warning and the keychain not enabled only information', async () => {
  v = await testVault();
  const { checks, status } = await runDoctor(v.ctx, v.keychain, undefined);
  expect(byName(checks)).toEqual({ 'vault file': 'ok', 'key derivation': 'warn', argon2id: 'ok', 'key slots': 'info', keychain: 'info' });
  expect(status).toBe(EXIT.ok);
});

it("0 with the keychain enabled and its item present; 1 once the item is gone", async () => {
  v = await testVault({ keychain: true });
  expect((await runDoctor(v.ctx, v.keychain, undefined)).status).toBe(EXIT.ok);
  v.keychain.items.clear();
  const { checks, status } = await runDoctor(v.ctx, v.keychain, undefined);
  expect(byName(checks).keychain).toBe('fail');
  expect(status).toBe(EXIT.failure);
});

it('1 when the vault file is missing, or the passphrase file cannot be read', async () => {
  v = await testVault();
  const none = path.join(v.dir, 'none.exv');
  const missing = await runDoctor({ ...v.ctx, vaultPath: none, vault: new MemoryVaultStore(none) }, v.keychain, undefined);
  expect(byName(missing.checks)['vault file']).toBe('fail');
  expect(missing.status).toBe(EXIT.failure);
  const passFile = path.join(v.dir, 'gone');
  const r = await runDoctor(v.ctx, v.keychain, { describe: passFile, path: passFile, read: () => fs.readFileSync(passFile, 'utf8') });
  expect(byName(r.checks)['passphrase file']).toBe('fail');
  expect(r.status).toBe(EXIT.failure);
});
