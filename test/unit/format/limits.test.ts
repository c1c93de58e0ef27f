// The slot bound (issue 16: a fleet of 100+ hosts): the one-byte slot count allows 255 slots,
// 255 X25519 slots granted one scope each fit the 64 KiB header and open again, and a header
// that would pass the bound is never written (readers refuse it).
import { AgeIdentity } from '../../../src/crypto/age-x25519';
import { ready } from '../../../src/crypto/sodium';
import { decodeFile, encodeHeader } from '../../../src/format/header';
import { headerFits, MAX_HEADER_BYTES_V2, MAX_SLOTS, PREAMBLE_BYTES } from '../../../src/format/limits';
import { addScope, makePassphraseSlot, makeX25519Slot, newVault, unwrapSlot } from '../../../src/format/seal';
import { kindOf } from '../../../src/format/slots/registry';
import { buildFile } from '../../../src/format/v2';
import { randomBytes } from '../../../src/crypto/random';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF } from '../../helpers/vault-bytes';

const META = new TextEncoder().encode('{"entries":[],"v":1}');

beforeAll(ready);

it('the slot count is one byte: 255 slots at most', () => {
  expect(MAX_SLOTS).toBe(255);
  expect(MAX_HEADER_BYTES_V2).toBe(65536);
});

it('a passphrase slot and 254 X25519 slots of one scope each fit, are written, and each opens with its identity', async () => {
  const v = newVault(CANARY.vaultPassphrase, TEST_KDF);
  const grid = addScope(v.header, v.dataKey, 'grid');
  v.header.slots[0] = makePassphraseSlot(v.header, v.dataKey, CANARY.vaultPassphrase, TEST_KDF);
  const ids: AgeIdentity[] = [];
  for (let i = 0; i < MAX_SLOTS - 1; i++) {
    const id = AgeIdentity.generate();
    ids.push(id);
    v.header.slots.push(makeX25519Slot(v.header, v.dataKey, id.publicKey, [grid]));
  }
  const slotBytes = encodeHeader(v.header).length;
  // 192 bytes per one-scope X25519 slot (the figure docs/FORMAT.md gives).
  expect(slotBytes).toBeGreaterThan(254 * 192);
  expect(headerFits(slotBytes)).toBe(true);
  const file = buildFile(v.header, v.dataKey, META, [], randomBytes);
  const back = decodeFile(file).header;
  expect(back.slots).toHaveLength(255);
  for (const i of [0, 99, 253]) {
    const slot = back.slots[i + 1]!;
    const kek = await kindOf(slot).kek(slot, back.vaultId, { identities: async () => [ids[i]!] });
    const keys = unwrapSlot(back, slot, kek!);
    expect(keys && [...keys.keys()]).toEqual([grid]);
  }
  for (const id of ids) id.dispose();
});

it('a 256th slot cannot be encoded, and a header over 64 KiB is not written', () => {
  const v = newVault(CANARY.vaultPassphrase, TEST_KDF);
  // Grant many scopes to each slot so the bytes run out before the count does.
  const scopes = [0];
  for (let i = 0; i < 40; i++) scopes.push(addScope(v.header, v.dataKey, `s${i}`));
  let n = 0;
  while (headerFits(encodeHeader(v.header).length)) {
    v.header.slots.push(makeX25519Slot(v.header, v.dataKey, AgeIdentity.generate().publicKey, scopes));
    n++;
  }
  expect(n).toBeLessThan(MAX_SLOTS);
  expect(encodeHeader(v.header).length - PREAMBLE_BYTES).toBeGreaterThan(MAX_HEADER_BYTES_V2);
  expect(() => buildFile(v.header, v.dataKey, META, [], randomBytes)).toThrow(/larger than 64 KiB/);
  const full = newVault(CANARY.vaultPassphrase, TEST_KDF);
  for (let i = 0; i < MAX_SLOTS; i++) full.header.slots.push(makeX25519Slot(full.header, full.dataKey, AgeIdentity.generate().publicKey, [0]));
  expect(full.header.slots).toHaveLength(256);
  expect(() => encodeHeader(full.header)).toThrow(/out of range/);
});
