// The X25519 slot type (format 2): an identity made by the real `age-keygen` opens the slot
// granted to its recipient, through the registry and the unlock ladder, and gets the keys of
// its scopes only: a slot for scope "grid" cannot open the default scope's entries, whatever
// the caller asks. A second identity, a changed byte, or a widened grant opens nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthError } from '../../../src/errors';
import { ready } from '../../../src/crypto/sodium';
import { parseIdentityFile, parseRecipient } from '../../../src/crypto/age-x25519';
import { decodeFile, decodeHead, encodeHeader, Header } from '../../../src/format/header';
import { addScope, makePassphraseSlot, makeX25519Slot, newVault, openV2, unwrapSlot, VaultKeys } from '../../../src/format/seal';
import { describeSlot, kindOf } from '../../../src/format/slots/registry';
import { buildFile, ENTRY_ID_BYTES, EntryToWrite } from '../../../src/format/v2';
import { randomBytes } from '../../../src/crypto/random';
import { Unlocker } from '../../../src/app/unlock';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF } from '../../helpers/vault-bytes';

const te = new TextEncoder();
const td = new TextDecoder();
const line = (name: string, secret: string) => te.encode(`{"name":"${name}","secret":"${secret}"}`);
const META = te.encode('{"entries":[],"v":1}');

let dir: string;
/** An identity file as the real age-keygen writes it, and the recipient it prints. */
function ageKeygen(name: string): { file: string; recipient: string } {
  const file = path.join(dir, name);
  const r = spawnSync('age-keygen', ['-o', file], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const recipient = spawnSync('age-keygen', ['-y', file], { encoding: 'utf8' }).stdout.trim();
  expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
  return { file, recipient };
}

let header: Header;
let keys: VaultKeys;
let grid: number;
let host: { file: string; recipient: string };
let file: Uint8Array;

beforeAll(async () => {
  await ready();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x25519-slot-'));
  const v = newVault(CANARY.vaultPassphrase, TEST_KDF);
  header = v.header;
  keys = v.dataKey;
  grid = addScope(header, keys, 'grid');
  header.slots = [makePassphraseSlot(header, keys, CANARY.vaultPassphrase, TEST_KDF)];
  host = ageKeygen('host.txt');
  header.slots.push(makeX25519Slot(header, keys, parseRecipient(host.recipient), [grid]));
  const entries: EntryToWrite[] = [
    { name: 'admin-main', scope: 0, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('admin-main', `${CANARY.apiSecret}-admin`) },
    { name: 'grid-bot', scope: grid, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line('grid-bot', `${CANARY.apiSecret}-grid`) },
  ];
  file = buildFile(header, keys, META, entries, randomBytes);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const identitiesFrom = (f: string) => async () => [parseIdentityFile(fs.readFileSync(f, 'utf8'))];

it('is one registered type: the header round-trips it and doctor names its recipient', () => {
  const back = decodeFile(file).header;
  const slot = back.slots.find((s) => s.type === 'x25519')!;
  expect(kindOf(slot).code).toBe(3);
  expect(slot.scopes).toEqual([grid]);
  expect(describeSlot(slot)).toBe(`X25519 recipient ${host.recipient}`);
  expect(Buffer.from(encodeHeader(back)).equals(Buffer.from(decodeFile(file).aad.subarray(0, encodeHeader(back).length)))).toBe(true);
});

it("the age-keygen identity opens its slot through the unlock ladder, with no passphrase, and gets the grid scope's key only", async () => {
  const head = decodeHead(file);
  const got = await new Unlocker({ identities: identitiesFrom(host.file) }).dataKey(head);
  expect([...got.keys()]).toEqual([grid]);
  expect(Buffer.from(got.get(grid)!).equals(Buffer.from(keys.get(grid)!))).toBe(true);
  const v2 = openV2(decodeFile(file), got);
  expect(td.decode(v2.line(grid, v2.index(grid).find('grid-bot')!))).toContain(`${CANARY.apiSecret}-grid`);
  // The default scope's index, meta record and entries cannot be opened: no key for them.
  expect(() => v2.index(0)).toThrow(AuthError);
  expect(() => v2.meta()).toThrow(AuthError);
  expect(v2.find('admin-main')).toBeNull();
});

it("the grid key, presented as the default scope's, opens nothing of the default scope", () => {
  const v2 = openV2(decodeFile(file), new Map([[0, keys.get(grid)!]]));
  expect(() => v2.index(0)).toThrow(AuthError);
});

it('another identity does not open the slot; the ladder says so (exit 3) instead of asking for nothing', async () => {
  const other = ageKeygen('other.txt');
  const slot = decodeFile(file).header.slots.find((s) => s.type === 'x25519')!;
  expect(await kindOf(slot).kek(slot, header.vaultId, { identities: identitiesFrom(other.file) })).toBeNull();
  await expect(new Unlocker({ identities: identitiesFrom(other.file) }).dataKey(decodeHead(file))).rejects.toMatchObject({
    exitCode: 3,
    message: `this host's identity ${other.recipient} was found, but no slot of this vault names it (its recipient was removed, or never added)`,
  });
});

it('a widened grant, or any changed byte of the slot, opens nothing', async () => {
  const h = decodeFile(file).header;
  const slot = h.slots.find((s) => s.type === 'x25519')!;
  const kek = (await kindOf(slot).kek(slot, h.vaultId, { identities: identitiesFrom(host.file) }))!;
  expect(unwrapSlot(h, slot, kek)).not.toBeNull();
  expect(unwrapSlot(h, { ...slot, scopes: [0, grid] }, kek)).toBeNull();
  expect(unwrapSlot(h, { ...slot, scopes: [0] }, kek)).toBeNull();
  const wrapped = slot.wrapped.slice();
  wrapped[3]! ^= 1;
  expect(unwrapSlot(h, { ...slot, wrapped }, kek)).toBeNull();
  // The slot is bound to its vault: the same bytes under another vault id do not open.
  expect(unwrapSlot({ ...h, vaultId: randomBytes(16) }, slot, kek)).toBeNull();
});

it('the slot stores exactly the recipient age-keygen printed', () => {
  const slot = decodeFile(file).header.slots.find((s) => s.type === 'x25519')! as { recipient?: Uint8Array } & typeof header.slots[number];
  expect(Buffer.from(slot.recipient!).equals(Buffer.from(parseRecipient(host.recipient)))).toBe(true);
});
