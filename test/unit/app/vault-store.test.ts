// The use cases reach the vault file only through the VaultStore port (app/ports.ts): here an
// in-memory one whose locks are checked. Writers hold the writer lock across read-modify-write,
// so two changes made at once both land; every write keeps the previous file as the backup.
import * as fs from 'node:fs';
import { runDoctor } from '../../../src/app/doctor';
import { addEntry, getEntry, listEntries } from '../../../src/app/entries';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
const meta = { permissions: ['reading'], ips: ['203.0.113.7'] };
const secrets = () => ({ apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });

beforeEach(async () => {
  v = await testVault();
});
afterEach(() => {
  expect(findCanary(JSON.stringify(v.audit.events) + v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});

it('the vault is created and written through the store only: nothing at its path on disk, each write under one writer lock', async () => {
  expect(v.vault.writes).toHaveLength(1);
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  expect(v.vault.writes).toHaveLength(2);
  expect(fs.existsSync(v.ctx.vaultPath)).toBe(false);
  expect(v.vault.maxHolders).toBe(1);
  // The bytes are sealed: the secret is not in the file.
  expect(findCanary(Buffer.from(v.vault.read()).toString('latin1'))).toBeNull();
  expect((await getEntry(v.ctx, 'bot')).secrets.apiKey!.reveal()).toBe(CANARY.apiKey);
});

it('two adds at once: the second waits for the writer lock and re-reads, so neither change is lost', async () => {
  await Promise.all([addEntry(v.ctx, 'one', 'binance', meta, secrets()), addEntry(v.ctx, 'two', 'binance', meta, secrets())]);
  expect(v.vault.contended).toBeGreaterThanOrEqual(1);
  expect(v.vault.maxHolders).toBe(1);
  expect((await listEntries(v.ctx)).entries.map((e) => e.name).sort()).toEqual(['one', 'two']);
});

it('doctor checks the backup the last write kept: ok while it opens, a warning once it is damaged', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  const backup = v.vault.readBackup()!;
  expect(Buffer.from(backup.bytes).equals(Buffer.from(v.vault.writes[0]!))).toBe(true);
  const sound = await runDoctor(v.ctx, v.keychain, undefined);
  expect(sound.checks.find((c) => c.name === 'backup')).toMatchObject({ status: 'ok', detail: `${v.ctx.vaultPath}.bak` });
  v.vault.files.set(backup.file, backup.bytes.slice(0, 10));
  const damaged = await runDoctor(v.ctx, v.keychain, undefined);
  expect(damaged.checks.find((c) => c.name === 'backup')?.status).toBe('warn');
  expect(damaged.status).toBe(0);
});
