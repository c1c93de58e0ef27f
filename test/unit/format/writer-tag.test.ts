// The writer tag (docs/FORMAT.md "Writer tag"), against the red team's attack (rt22 finding 1):
// a host whose X25519 slot is granted scope "grid" only takes the grid key through its own
// identity, seals a new grid record and a new grid index bound to the same header digest
// (or the same update write id), and points the table of contents (or a new trailer) at them.
// A reader holding every scope key refuses that (exit 5); the grid host itself cannot tell;
// an honest write still opens.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorruptError, EXIT } from '../../../src/errors';
import { ready } from '../../../src/crypto/sodium';
import { parseIdentityFile, parseRecipient } from '../../../src/crypto/age-x25519';
import { decodeFile, decodeHead, encodeHeader, encodeTrailer, Header, UPDATE_LEAD } from '../../../src/format/header';
import { addScope, makePassphraseSlot, makeX25519Slot, newVault, openV2, unwrapSlot, unwrapWithPassphrase, VaultKeys } from '../../../src/format/seal';
import { kindOf } from '../../../src/format/slots/registry';
import { buildFile, buildUpdate, encodeIndex, ENTRY_ID_BYTES, headerDigest, indexAd, sealEntry, sealRecord, WRITER_REFUSED } from '../../../src/format/v2';
import { sha256 } from '../../../src/crypto/hash';
import { randomBytes } from '../../../src/crypto/random';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF } from '../../helpers/vault-bytes';

const te = new TextEncoder();
const td = new TextDecoder();
const META = te.encode('{"entries":[],"v":1}');
const HOOK = 'touch /tmp/pwned';
const line = (name: string, extra = '') => te.encode(`{"name":"${name}","secret":"${CANARY.apiSecret}-${name}"${extra}}`);
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

let dir: string;
let header: Header;
let keys: VaultKeys;
let grid: number;
let identityFile: string;

beforeAll(async () => {
  await ready();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-tag-'));
  const v = newVault(CANARY.vaultPassphrase, TEST_KDF);
  header = v.header;
  keys = v.dataKey;
  grid = addScope(header, keys, 'grid');
  header.slots = [makePassphraseSlot(header, keys, CANARY.vaultPassphrase, TEST_KDF)];
  identityFile = path.join(dir, 'host.txt');
  expect(spawnSync('age-keygen', ['-o', identityFile]).status).toBe(0);
  const recipient = spawnSync('age-keygen', ['-y', identityFile], { encoding: 'utf8' }).stdout.trim();
  header.slots.push(makeX25519Slot(header, keys, parseRecipient(recipient), [grid]));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function honest(): Uint8Array {
  return buildFile(structuredClone(header), keys, META, [
    { name: 'admin-main', scope: 0, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('admin-main') },
    { name: 'grid-bot', scope: grid, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('grid-bot') },
  ], randomBytes);
}

/** The grid key, as the host gets it: its identity opens its slot, as src/format/slots does. */
async function hostKeys(file: Uint8Array): Promise<VaultKeys> {
  const h = decodeHead(file).header;
  const slot = h.slots.find((s) => s.type === 'x25519')!;
  const kek = (await kindOf(slot).kek(slot, h.vaultId, { identities: async () => [parseIdentityFile(fs.readFileSync(identityFile, 'utf8'))] }))!;
  const k = unwrapSlot(h, slot, kek)!;
  expect([...k.keys()]).toEqual([grid]);
  return k;
}

/** grid-bot's record with a hook of the forger's choice and a grid index pointing at it,
 *  sealed with the grid key alone and bound to the digest the file's parts are bound to. */
function forgedParts(file: Uint8Array, gridKey: Uint8Array, recordAt: number): { record: Uint8Array; index: (indexAt: number) => Uint8Array } {
  const p = decodeFile(file);
  const h = p.header;
  const row = openV2(p, new Map([[grid, gridKey]])).index(grid).find('grid-bot')!;
  const record = sealEntry(h.vaultId, gridKey, grid, row.id, row.gen + 1, line('grid-bot', `,"rotation":{"hook":"${HOOK}"}`), randomBytes);
  const plain = encodeIndex([{ ...row, gen: row.gen + 1, off: recordAt, len: record.length, commit: sha256(record) }], new Uint8Array(32));
  return { record, index: () => sealRecord(gridKey, plain, indexAd(h, grid, headerDigest(h)), randomBytes) };
}

/** The whole-file attack: the new record and index appended, the header's table of contents
 *  (not in the digest) pointed at them. */
async function forgeWhole(file: Uint8Array): Promise<Uint8Array> {
  const gridKey = (await hostKeys(file)).get(grid)!;
  const { record, index } = forgedParts(file, gridKey, file.length);
  const ix = index(file.length + record.length);
  const h = decodeFile(file).header;
  const at = h.scopes.findIndex((s) => s.id === grid);
  h.toc.indexes[at] = { off: file.length + record.length, len: ix.length };
  const head = encodeHeader(h);
  return cat(head, file.subarray(head.length), record, ix);
}

/** The update attack: a new update reusing the latest update's write id, its meta record and
 *  default index copied verbatim, a new grid record and index, and the latest trailer's tag. */
async function forgeUpdate(file: Uint8Array): Promise<Uint8Array> {
  const gridKey = (await hostKeys(file)).get(grid)!;
  const p = decodeFile(file);
  const h = p.header;
  const start = file.length;
  const recordAt = start + UPDATE_LEAD.length;
  const { record, index } = forgedParts(file, gridKey, recordAt);
  const metaOld = file.subarray(h.toc.meta.off, h.toc.meta.off + h.toc.meta.len);
  const defOld = file.subarray(h.toc.indexes[0]!.off, h.toc.indexes[0]!.off + h.toc.indexes[0]!.len);
  const metaAt = recordAt + record.length;
  const defAt = metaAt + metaOld.length;
  const gridAt = defAt + defOld.length;
  const gridIx = index(gridAt);
  const trailer = encodeTrailer(h.state!.update!, { meta: { off: metaAt, len: metaOld.length }, indexes: [{ off: defAt, len: defOld.length }, { off: gridAt, len: gridIx.length }], tag: h.toc.tag! }, start);
  return cat(file, UPDATE_LEAD, record, metaOld, defOld, gridIx, trailer);
}

function withUpdate(file: Uint8Array): Uint8Array {
  const p = decodeFile(file);
  const o = openV2(p, keys);
  const kept = o.openScopes().map((scope) => ({ scope, index: o.index(scope), drop: new Set<number>() }));
  const u = buildUpdate(p.header, keys, META, [{ name: 'admin-spot', scope: 0, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('admin-spot') }], randomBytes, kept, p.header.state!.end);
  return cat(file.subarray(0, p.header.state!.end), ...u.body, u.trailer);
}

/** What the admin (passphrase: every scope) gets from grid-bot, or the error. */
function adminReads(file: Uint8Array): string | Error {
  try {
    const p = decodeFile(file);
    const o = openV2(p, unwrapWithPassphrase(p, CANARY.vaultPassphrase));
    const at = o.find('grid-bot')!;
    return td.decode(o.line(at.scope, at.row));
  } catch (e) {
    return e as Error;
  }
}

function refusedAsForged(r: string | Error): void {
  expect(r).toBeInstanceOf(CorruptError);
  expect((r as Error).message).toBe(WRITER_REFUSED);
  expect((r as CorruptError).exitCode).toBe(EXIT.corrupt);
  expect(EXIT.corrupt).toBe(5);
}

it('an honest whole write and an honest update open for the admin', () => {
  const file = honest();
  expect(decodeFile(file).header.toc.tag).toHaveLength(32);
  expect(adminReads(file)).toContain('grid-bot');
  const updated = withUpdate(file);
  expect(decodeFile(updated).header.toc.tag).toHaveLength(32);
  expect(adminReads(updated)).toContain('grid-bot');
});

it('a grid record and index re-sealed by the grid host are refused by the admin (whole file)', async () => {
  const forged = await forgeWhole(honest());
  // The host's own view: it holds only the grid key, cannot check the tag, and sees the hook.
  const hk = await hostKeys(forged);
  const o = openV2(decodeFile(forged), hk);
  expect(td.decode(o.line(grid, o.index(grid).find('grid-bot')!))).toContain(HOOK);
  refusedAsForged(adminReads(forged));
});

it('the same attack through an update reusing the latest write id is refused', async () => {
  const file = withUpdate(honest());
  const forged = await forgeUpdate(file);
  expect(decodeFile(forged).header.state!.update).toEqual(decodeFile(file).header.state!.update);
  refusedAsForged(adminReads(forged));
});

it('the update attack with the tag zeroed is refused too', async () => {
  const forged = await forgeUpdate(withUpdate(honest()));
  const zeroed = forged.slice();
  zeroed.fill(0, forged.length - 8 - 8 - 32, forged.length - 8 - 8);
  refusedAsForged(adminReads(zeroed));
});

it('a file written before tags (no tag) is still open to it: what its next write closes (docs/FORMAT.md)', async () => {
  const legacy = buildFile(structuredClone(header), keys, META, [
    { name: 'grid-bot', scope: grid, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('grid-bot') },
  ], randomBytes, undefined, { untagged: true });
  expect(decodeFile(legacy).header.toc.tag).toBeUndefined();
  expect(adminReads(await forgeWhole(legacy))).toContain(HOOK);
});
