// Revoking a recipient (app/revoke.ts), checked below the CLI: the removed host's age identity
// file, read and used with the crypto and format layers only (no unlock ladder, no CLI check),
// opens the vault as it was before and nothing written after; the scope's old key opens
// nothing in the new file either. Other recipients, the keychain and the passphrase open the
// new keys; every exchange key the host could read is exposed until rotated.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../../../src/crypto/sodium';
import { AgeIdentity, formatIdentityFile, parseIdentityFile } from '../../../src/crypto/age-x25519';
import { addNewEntry } from '../../../src/app/add';
import { checkDue } from '../../../src/app/check';
import { addRecipient, listRecipients } from '../../../src/app/recipients';
import { revokeRecipient } from '../../../src/app/revoke';
import { rotateManual } from '../../../src/app/rotate';
import { addScopeToVault } from '../../../src/app/scopes';
import { Unlocker } from '../../../src/app/unlock';
import { rollbackEntry } from '../../../src/app/rollback';
import { getEntry } from '../../../src/app/entries';
import { fileAuditLog } from '../../../src/app/audit-writer';
import { auditHeadPath, readHeadFile } from '../../../src/storage/audit-head-file';
import { auditPath } from '../../../src/storage/paths';
import { decodeFile } from '../../../src/format/header';
import { openV2, unwrapSlot, unwrapWithKeychainKey, unwrapWithPassphrase, VaultKeys } from '../../../src/format/seal';
import { x25519Kind, X25519Slot } from '../../../src/format/slots/x25519';
import { keychainAccount } from '../../../src/format/slots/keychain';
import { Secret } from '../../../src/domain/secret';
import { AuthError } from '../../../src/errors';
import { CANARY } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

const fields = (key: string) => async () => ({ apiKey: new Secret(key), apiSecret: new Secret(CANARY.apiSecret) });

/** What an identity file opens in these bytes: the scope keys of the X25519 slot made for it. */
async function keysFor(bytes: Uint8Array, id: AgeIdentity): Promise<VaultKeys | null> {
  const parsed = decodeFile(bytes);
  for (const slot of parsed.header.slots.filter((s): s is X25519Slot => s.type === 'x25519')) {
    const kek = await x25519Kind.kek(slot, parsed.header.vaultId, { identities: async () => [id] });
    if (!kek) continue;
    const keys = unwrapSlot(parsed.header, slot, kek);
    if (keys) return keys;
  }
  return null;
}

/** The entry's line, opened with the given keys through the format layer; null when absent. */
function lineOf(bytes: Uint8Array, keys: Map<number, Uint8Array>, scope: number, name: string): string | null {
  const v2 = openV2(decodeFile(bytes), keys);
  const row = v2.index(scope).find(name);
  return row ? Buffer.from(v2.line(scope, row)).toString('utf8') : null;
}

let t: TestVault;
let grid: number;
let hostId: AgeIdentity;
let otherId: AgeIdentity;
let before: Uint8Array;

beforeAll(async () => {
  await ready();
  t = await testVault({ keychain: true });
  grid = (await addScopeToVault(t.ctx, 'grid')).id;
  await addNewEntry(t.ctx, { name: 'main', exchange: 'binance', meta: {}, generatePassphrase: false }, fields(CANARY.apiKey));
  await addNewEntry(t.ctx, { name: 'grid-bot', exchange: 'bybit', meta: {}, generatePassphrase: false, scope: 'grid' }, fields(CANARY.apiKey));
  // The host's identity as `vault identity init` or age-keygen leaves it: a file.
  const file = path.join(t.dir, 'host.key');
  const made = AgeIdentity.generate();
  fs.writeFileSync(file, formatIdentityFile(made, new Date()), { mode: 0o600 });
  hostId = parseIdentityFile(fs.readFileSync(file, 'utf8'));
  otherId = AgeIdentity.generate();
  await addRecipient(t.ctx, 'vps-grid', hostId.recipient(), ['grid']);
  await addRecipient(t.ctx, 'vps-other', otherId.recipient(), ['grid']);
  before = t.vault.read();
});

afterAll(() => t.cleanup());

it('before: the host identity file opens its scope and reads the grid key', async () => {
  const keys = (await keysFor(before, hostId))!;
  expect([...keys.keys()]).toEqual([grid]);
  expect(lineOf(before, keys, grid, 'grid-bot')).toContain(CANARY.apiKey);
});

it('revokes: warns first, re-keys grid only, and the identity opens nothing written after', async () => {
  const seen: string[] = [];
  const r = await revokeRecipient(t.ctx, 'vps-grid', async (plan) => {
    // The warning is said before the confirmation is asked.
    seen.push(...t.notices.warnings);
    expect(plan.scopes).toEqual(['grid']);
    return true;
  });
  expect(seen.join('\n')).toMatch(/vps-grid's host still has everything it already pulled/);
  expect(seen.join('\n')).toMatch(/grid-bot/);
  expect(r!.exposed).toEqual(['grid-bot']);
  expect(r!.rewrapped.sort()).toEqual(['keychain', 'passphrase', 'recipient vps-other']);
  expect(r!.newChain).toBeNull();
  // vps-other's own chain is keyed from grid, the lowest (only) scope it holds.
  expect(r!.chainsToRestart).toEqual(['vps-other']);
  // Something written after the revocation, in the re-keyed scope.
  await addNewEntry(t.ctx, { name: 'grid-new', exchange: 'bybit', meta: {}, generatePassphrase: false, scope: 'grid' }, fields(CANARY.apiKey));
  const after = t.vault.read();
  // No slot of the new file opens with the removed identity.
  expect(await keysFor(after, hostId)).toBeNull();
  // And the scope key it once unwrapped opens neither the new index nor any record.
  const oldKeys = (await keysFor(before, hostId))!;
  expect(() => lineOf(after, oldKeys, grid, 'grid-new')).toThrow(AuthError);
  expect(() => lineOf(after, oldKeys, grid, 'grid-bot')).toThrow(AuthError);
  const viaPass = unwrapWithPassphrase(decodeFile(after), CANARY.vaultPassphrase);
  expect(Buffer.from(viaPass.get(grid)!).equals(Buffer.from(oldKeys.get(grid)!))).toBe(false);
  // The default scope was not the host's: its key stays.
  const oldPass = unwrapWithPassphrase(decodeFile(before), CANARY.vaultPassphrase);
  expect(Buffer.from(viaPass.get(0)!).equals(Buffer.from(oldPass.get(0)!))).toBe(true);
  expect(lineOf(after, viaPass, grid, 'grid-new')).toContain(CANARY.apiKey);
});

it('honest: the copy the host already pulled still opens with its identity', async () => {
  const keys = (await keysFor(before, hostId))!;
  expect(lineOf(before, keys, grid, 'grid-bot')).toContain(CANARY.apiKey);
});

it('the remaining recipient, the keychain item and the passphrase open the new keys', async () => {
  const after = t.vault.read();
  const other = (await keysFor(after, otherId))!;
  expect(lineOf(after, other, grid, 'grid-new')).toContain(CANARY.apiKey);
  expect(lineOf(after, other, grid, 'grid-bot')).toContain(CANARY.apiKey);
  const parsed = decodeFile(after);
  const kcSlot = parsed.header.slots.find((s) => s.type === 'keychain')!;
  const kk = (await t.keychain.read(keychainAccount(parsed.header.vaultId, kcSlot as never)))!;
  const viaKc = unwrapWithKeychainKey(parsed, kk)!;
  expect(lineOf(after, viaKc, grid, 'grid-new')).toContain(CANARY.apiKey);
  // The whole document still opens (the default scope's meta and entries).
  expect(lineOf(after, viaKc, 0, 'main')).toContain(CANARY.apiKey);
  expect((await listRecipients(t.ctx)).map((x) => x.name)).toEqual(['vps-other']);
});

it('marks what the host could read as exposed: check is 11 naming it; a rotation clears the mark', async () => {
  const c = await checkDue(t.ctx);
  expect(c.status).toBe(11);
  expect(c.rows.map((r) => r.name)).toEqual(['grid-bot']);
  expect(c.rows[0]!.rule!.reason).toMatch(/exposed: readable by removed recipient vps-grid/);
  await rotateManual(t.ctx, 'grid-bot', { apiKey: new Secret(`${CANARY.apiKey}-2`), apiSecret: new Secret(CANARY.apiSecret) });
  expect((await checkDue(t.ctx)).status).toBe(0);
});

it('a rollback to the exposed key asks first, and the key stays exposed (rt22 #2)', async () => {
  const asked: string[] = [];
  const was = t.vault.read();
  expect(await rollbackEntry(t.ctx, 'grid-bot', undefined, async (n, x) => (asked.push(`${n} ${x.by.join(',')}`), false))).toBeNull();
  expect(Buffer.from(t.vault.read()).equals(Buffer.from(was))).toBe(true);
  expect(asked).toEqual(['1 vps-grid']);
  const r = await rollbackEntry(t.ctx, 'grid-bot', undefined, async () => true);
  expect(r!.exposed!.by).toEqual(['vps-grid']);
  const c = await checkDue(t.ctx);
  expect(c.status).toBe(11);
  expect(c.rows.map((x) => x.name)).toEqual(['grid-bot']);
  // Forward again to the clean key: nothing is asked, and the mark goes with the old key.
  const back = await rollbackEntry(t.ctx, 'grid-bot', 2, async () => {
    throw new Error('not asked for a clean version');
  });
  expect(back!.exposed).toBeNull();
  expect((await checkDue(t.ctx)).status).toBe(0);
});

it('revoking marks the earlier versions in the record too, not only the active one', async () => {
  const id = AgeIdentity.generate();
  await addRecipient(t.ctx, 'vps-hist', id.recipient(), ['grid']);
  await revokeRecipient(t.ctx, 'vps-hist', async () => true);
  const e = (await getEntry(t.ctx, 'grid-bot'));
  expect(e.exposed!.by).toEqual(['vps-hist']);
  expect(e.history!.map((v) => v.exposed?.by)).toEqual([['vps-grid', 'vps-hist']]);
});

it('an unknown name is refused and changes nothing; a refusal at the confirmation changes nothing', async () => {
  const was = t.vault.read();
  await expect(revokeRecipient(t.ctx, 'nobody', async () => true)).rejects.toThrow(/no recipient named "nobody"/);
  expect(await revokeRecipient(t.ctx, 'vps-other', async () => false)).toBeNull();
  expect(Buffer.from(t.vault.read()).equals(Buffer.from(was))).toBe(true);
});

it('without a passphrase it says what is needed, before changing anything', async () => {
  const was = t.vault.read();
  const ctx = { ...t.ctx, unlocker: new Unlocker({ keychain: t.keychain, notices: t.notices }) };
  await expect(revokeRecipient(ctx, 'vps-other', async () => true)).rejects.toThrow(/the passphrase is needed to remove a recipient/);
  expect(Buffer.from(t.vault.read()).equals(Buffer.from(was))).toBe(true);
});

it('revoking a recipient of the default scope re-keys it and starts a new audit chain', async () => {
  const admin = AgeIdentity.generate();
  await addRecipient(t.ctx, 'laptop', admin.recipient(), ['default']);
  const oldPass = unwrapWithPassphrase(decodeFile(t.vault.read()), CANARY.vaultPassphrase);
  // Two releases on the old chain, written under the old default key.
  const log = fileAuditLog(t.ctx.vaultPath, t.clock);
  await log.recordRelease(oldPass.get(0)!, { cmd: 'get', entries: [{ entry: 'main', fields: ['apiKey'] }] });
  await log.recordRelease(oldPass.get(0)!, { cmd: 'get', entries: [{ entry: 'main', fields: ['apiKey'] }] });
  const oldHead = readHeadFile(auditHeadPath(t.ctx.vaultPath)) as { seq: number; mac: string };
  expect(oldHead.seq).toBeGreaterThan(0);
  const r = await revokeRecipient(t.ctx, 'laptop', async () => true);
  expect(r!.newChain).not.toBeNull();
  // rt22 #4: the new chain's first record names the old chain's last one (authenticated
  // with the old key), so a deleted or cut old log can be noticed from the new chain.
  const first = JSON.parse(fs.readFileSync(auditPath(t.ctx.vaultPath), 'utf8').split('\n')[0]!);
  expect(first.result).toContain(`follows record ${oldHead.seq}, mac ${oldHead.mac.slice(0, 16)}`);
  const viaPass = unwrapWithPassphrase(decodeFile(t.vault.read()), CANARY.vaultPassphrase);
  expect(Buffer.from(viaPass.get(0)!).equals(Buffer.from(oldPass.get(0)!))).toBe(false);
  expect(lineOf(t.vault.read(), viaPass, 0, 'main')).toContain(CANARY.apiKey);
  const c = await checkDue(t.ctx);
  // main by laptop; the grid keys by vps-hist, revoked above.
  expect(c.rows.map((x) => x.name).sort()).toEqual(['grid-bot', 'grid-new', 'main']);
});

it('a write that fails changes nothing: the recipient, its slot and the keys stay', async () => {
  const spare = AgeIdentity.generate();
  await addRecipient(t.ctx, 'spare', spare.recipient(), ['grid']);
  const was = t.vault.read();
  const write = t.vault.write.bind(t.vault);
  t.vault.write = () => {
    throw new Error('disk full (test)');
  };
  try {
    await expect(revokeRecipient(t.ctx, 'spare', async () => true)).rejects.toThrow(/disk full/);
  } finally {
    t.vault.write = write;
  }
  expect(Buffer.from(t.vault.read()).equals(Buffer.from(was))).toBe(true);
  expect((await listRecipients(t.ctx)).map((x) => x.name)).toContain('spare');
  expect(lineOf(was, (await keysFor(was, spare))!, grid, 'grid-new')).toContain(CANARY.apiKey);
});
